// `replaceOne` and `findOneAndReplace` cast the replacement as Mongoose 9 does (lib/query.js): `new Model(replacement,
// null, { skipId: true })`, so its setters run (`this` the replacement being built, `isNew`), its defaults and
// default functions fill it (`this` the document once every path is set), its subdocuments get `_id`s, and the
// schema's timestamps are set first where the replacement's are missing; `Model.replaceOne` also sets the version
// key to 0. Without `runValidators` nothing is validated, but the two differ on a value that fails to cast:
// `replaceOne` sends the replacement without it, `findOneAndReplace` throws the constructor's ValidationError.
// `findOneAndReplace` passes the call's `strict` to the constructor (an unknown path under "throw" becomes a
// ValidationError of its own); `replaceOne` keeps the schema's.
const mongoose = require("mongoose")
const cardSchema = new mongoose.Schema({ label: { type: String, trim: true }, color: { type: String, default: "grey" } })
const Profile = mongoose.model("Profile", new mongoose.Schema({
  handle: { type: String, required: true, set: function (v) { console.log(`handle setter: isNew=${this.isNew} level=${this.level}`); return v.trim().toLowerCase() } },
  level: { type: Number, default: 1, min: 1 },
  slug: { type: String, default: function () { return `${this.handle}-${this.level}` } },
  card: cardSchema,
  badges: [cardSchema]
}, { timestamps: true }))
await db.profiles.insertOne({ handle: "ada", level: 3 })
await Profile.replaceOne({ handle: "ada" }, { handle: "  ADA  ", card: { label: " gold " }, badges: [{ label: " one " }], bogus: 1 })
await Profile.replaceOne({ handle: "ada" }, { handle: "Ada", level: "high" })
await Profile.replaceOne({ handle: "ada" }, { handle: "Ada", level: "high" }, { runValidators: true })
await Profile.findOneAndReplace({ handle: "ada" }, { handle: "Ada", level: "high" })
await Profile.findOneAndReplace({ handle: "ada" }, { handle: "Ada", level: 0, note: "kept" }, { strict: false, returnDocument: "after" })
await Profile.findOneAndReplace({ handle: "ada" }, { handle: "Ada", note: 1 }, { strict: "throw" })
await Profile.replaceOne({ handle: "ada" }, { handle: "Ada", note: 1 }, { strict: "throw", timestamps: false })
await Profile.replaceOne({ handle: "ada" }, 5)
await db.profiles.find({}, { _id: 0 })
