// Subdocuments and aliases, as Mongoose 9 has them: a schema used inside another (by value, in an array, with its
// own options and timestamps), a filter comparing a whole subdocument (Mongoose builds it, `_id` included, so it
// matches nothing) beside the dotted path that does match, an `alias` set through create() and documents but
// translated in queries only with `translateAliases`, an immutable path of a saved document, and the indexes
// and notes a model's declaration brings. The driver pane has no schema: it stores and compares what it is given.
const mongoose = require("mongoose")
const statsSchema = new mongoose.Schema({ followers: Number, verified: { type: Boolean, default: false } }, { _id: false })
const postSchema = new mongoose.Schema({ title: String, votes: { type: Number, default: 0 } }, { timestamps: true })
const profileSchema = new mongoose.Schema({
  n: { type: String, alias: "name", lowercase: true, index: true },
  handle: { type: String, immutable: true },
  stats: statsSchema,
  posts: [postSchema],
  bio: { type: String, transform: (v) => v.trim() }
})
const Profile = mongoose.model("Profile", profileSchema)
await Profile.create({ name: "ADA", handle: "ada", stats: { followers: "10" }, posts: [{ title: "Hello" }] })
await Profile.find({ stats: { followers: 10, verified: false } })
await Profile.find({ "stats.followers": 10 })
await Profile.find({ posts: { title: "Hello" } })
await Profile.find({ "posts.title": "Hello" })
await Profile.find({ name: "ada" })
await Profile.find({ name: "ADA" }, null, { translateAliases: true })
await Profile.updateOne({ n: "ada" }, { name: "Grace" })
await Profile.updateOne({ name: "ada" }, { name: "Grace", $push: { posts: { title: "Second" } } }, { translateAliases: true })
const grace = await Profile.findOne({ n: "grace" })
grace.name
grace.handle = "someone-else"
grace.handle
grace.posts[0].votes = 3
await grace.save()
await Profile.find({ stats: { $gt: { followers: 1 } } })
