// What `save()` sends for a document found in the database, as Mongoose 9's `$__delta` builds it: the modified
// paths first, then the paths `init` gave their default (`profile.theme` by path, not the whole nested object),
// `$inc` of `__v` when an array is set even if the stored document has no `__v`. An array element stored without
// `_id` gets one when it is hydrated, and so does a single nested subdocument: the element's `_id` and defaults
// are its own (not sent), the single nested one's are the document's (sent). A save with nothing to send checks
// that the document still exists; a version key the query did not select is neither checked nor sent.
const mongoose = require("mongoose")
await db.users.insertOne({ email: "x", items: [{ k: "a" }], one: { k: "z" }, noid: { k: "q" }, __v: 0 })
await db.users.insertOne({ email: "w", __v: 3 })
const Sub = new mongoose.Schema({ k: String, k2: { type: String, default: "d2" } })
const User = mongoose.model("User", new mongoose.Schema({ email: String, logins: { type: Number, default: 0 }, tags: [String], profile: { bio: String, theme: { type: String, default: "light" }, social: { tw: String } }, items: [Sub], one: Sub, noid: new mongoose.Schema({ k: String }, { _id: false }) }))
const found = await User.findOne({ email: "x" })
found
await found.save()
await found.save()
const other = await User.findOne({ email: "w" })
other.profile.bio = "b"
other.email = "e"
await other.save()
other
const slim = await User.findOne({ email: "e" }, { email: 1 })
slim.tags = ["a"]
await slim.save()
slim.__v
