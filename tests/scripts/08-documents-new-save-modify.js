// The Mongoose tutorial's model lifecycle: new Model(...), save(), change a field, save() again (only the change
// is sent), push into an array (versioned with __v), documents from find() that save themselves, lean() results
// that do not, validation on save, and deleteOne on a document. The driver pane sends what each save amounts to.
const mongoose = require("mongoose")
const userSchema = new mongoose.Schema({
  email: { type: String, required: true, lowercase: true },
  name: String,
  age: { type: Number, min: 0 },
  skills: [String],
  profile: { headline: String, city: String }
}, { timestamps: true })
const User = mongoose.model("User", userSchema)
const ada = new User({ email: "ada@example.com", name: "Ada", age: "36", profile: { headline: "Engineer" } })
console.log(ada.isNew, ada.email, ada.age, typeof ada.id)
const shouting = new User({ email: "GRACE@EXAMPLE.COM" })
shouting.email
await ada.save()
ada.isNew
ada.name = "Ada Lovelace"
ada.profile.city = "London"
ada.modifiedPaths()
await ada.save()
await ada.save()
const found = await User.findOne({ email: "ada@example.com" })
found.skills.push("math", "poetry")
await found.save()
found.__v
found.skills = ["engines"]
await found.save()
for (const user of await User.find()) { console.log(`${user.name}: ${user.skills.join(", ")} (v${user.__v})`) }
const names = (await User.find()).map((u) => u.name)
const plain = await User.findOne().lean()
plain.save()
const grace = new User({ name: "Grace", age: -1 })
await grace.save()
grace.validateSync().errors.age.message
grace.set({ email: "grace@example.com", age: 45 })
await grace.save()
const stats = await Promise.all([User.countDocuments(), User.exists({ name: "Grace" })])
await found.deleteOne()
await User.countDocuments()
JSON.stringify(ada)
