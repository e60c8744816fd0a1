// Mongoose casts filter values to the schema's types; the driver sends them as written.
const mongoose = require("mongoose")
const Post = mongoose.model("Post", new mongoose.Schema({
  text: { type: String, required: true, maxLength: 20 },
  likes: { type: Number, default: 0 },
  tags: [String],
  author: { type: mongoose.Schema.Types.ObjectId, ref: "User" },
}))
const User = mongoose.model("User", new mongoose.Schema({ name: String, secret: { type: String, select: false } }))
const ada = await User.create({ name: "Ada", secret: "s3cret" })
await Post.insertMany([{ text: "hello", likes: "3", tags: ["db"], author: ada._id }, { text: "world", tags: "mongo" }])
await Post.insertMany([{ text: "ok" }, { text: "this text is far too long for the schema" }])
await Post.find({ likes: { $gte: "1" } })
await Post.find({ likes: "many" })
await Post.findOne({ text: "hello" }).populate("author")
await Post.findOne({ text: "hello" }).populate({ path: "author", select: "+secret" })
await Post.find().sort({ likes: -1 }).limit(1).select("-_id text")
await User.findOne({ name: "Ada" })
await User.findOne({ name: "Ada" }).select("+secret")
await Post.countDocuments({ likes: { $gt: 0 } })
await Post.distinct("tags")
await Post.exists({ text: "nope" })
await Post.findOne({ text: "nope" }).orFail()
await Post.find({ text: "hello" }).explain("executionStats")
