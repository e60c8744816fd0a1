// Documents found in the database are hydrated as Mongoose 9's `init` builds them: the constructor's
// `$__buildDoc` creates the schema's nested objects, `applyDefaults` fills the defaults of paths the stored
// document lacks (non-function defaults and arrays' `[]` before the stored fields, `Date.now` after), and `init`
// sets the stored fields over them in their stored order. `.lean()` returns what the database holds; a path a
// projection excludes gets no default, and an inclusive projection builds only what it selects. `save()` sends
// the defaults the stored document lacked. After a save, the empty nested objects stay in memory.
const mongoose = require("mongoose")
// Inserted before the model is declared, so the schema does not fill it in.
await db.users.insertOne({ email: "x", items: [{ n: "a" }] })
const User = mongoose.model("User", new mongoose.Schema({ email: String, logins: { type: Number, default: 0 }, tags: [String], profile: { bio: String, theme: { type: String, default: "light" }, social: { tw: String } }, items: [{ n: String, q: { type: Number, default: 1 } }] }))
const found = await User.findOne()
found
found.toObject({ minimize: false })
await User.findOne().lean()
await User.findOne({}, { logins: 0 })
await User.findOne({}, { email: 1 })
found.isModified()
await found.save()
await db.users.findOne()
const fresh = new User({ email: "y" })
fresh.toObject({ minimize: false })
await fresh.save()
fresh.isModified()
fresh.toObject({ minimize: false })
fresh.email = "z"
await fresh.save()
