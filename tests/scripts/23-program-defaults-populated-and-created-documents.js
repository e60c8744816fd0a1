// Documents Mongoose builds for a program, beyond `find`'s: a default function of the program runs when a
// document found in the database lacks its path (`this` the document, after its stored fields) and is sent by the
// next save; documents `populate` brings are hydrated as documents of the referenced model (defaults, nested
// objects, subdocuments' `_id`s), by the query and by `doc.populate()`; `lean({ defaults: true })` is a plugin's
// option, so Mongoose 9 returns what the database holds. `create` and `insertMany` answer the documents as
// `new Model()` holds them (its empty nested objects, `_id` before the defaults set after setters), and a nested
// object the input leaves out has its own nested objects before its defaults.
const mongoose = require("mongoose")
const ann = await db.authors.insertOne({ name: "ann", books: [{ t: "b" }] })
await db.posts.insertOne({ title: "p", author: ann.insertedId })
const Author = mongoose.model("Author", new mongoose.Schema({ name: String, shout: { type: String, default: function () { return this.name + "!" } }, level: { type: Number, default: 1 }, bio: { site: String, lang: { type: String, default: "en" } }, books: [{ t: String }] }))
const Post = mongoose.model("Post", new mongoose.Schema({ title: String, author: { type: mongoose.Schema.Types.ObjectId, ref: "Author" }, views: { type: Number, default: 0 } }))
const found = await Author.findOne()
found.shout
await found.save()
await Author.findOne().lean({ defaults: true })
const post = await Post.findOne().populate("author")
post.toObject({ minimize: false })
const plain = await Post.findOne()
await plain.populate("author")
const User = mongoose.model("User", new mongoose.Schema({ email: String, profile: { theme: { type: String, default: "light" }, social: { tw: String } }, items: [{ n: String }], at: { type: Date, default: Date.now } }))
const created = await User.create({ email: "c" })
created.toObject({ minimize: false })
const many = await User.insertMany([{ email: "m" }])
many[0].toObject({ minimize: false })
new User({ email: "n" }).toObject({ minimize: false })
