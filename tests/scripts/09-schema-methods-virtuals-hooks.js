// What a Mongoose tutorial adds to a schema: document methods, model statics, a virtual with a getter and a
// setter, and middleware shown in the trace where each ran: document middleware (pre/post save, pre validate,
// deleteOne with { document: true, query: false }) with `this` the document, and query middleware (updateOne,
// deleteOne by default) with `this` the query. Mongoose 9 passes pre hooks no `next`: a hook is an async function,
// or a function that returns. The driver pane has no middleware: it writes what it is given.
const mongoose = require("mongoose")
const userSchema = new mongoose.Schema({ first: String, last: String, email: String, logins: { type: Number, default: 0 }, updatedBy: String })
userSchema.methods.greet = function () { return `Hello, ${this.first}!` }
userSchema.statics.findByEmail = function (email) { return this.findOne({ email }) }
userSchema.virtual("fullName").get(function () { return `${this.first} ${this.last}` }).set(function (name) {
  const [first, last] = name.split(" ")
  this.first = first
  this.last = last
})
userSchema.pre("validate", function normalizeEmail() { if (this.email) this.email = this.email.trim().toLowerCase() })
userSchema.pre("save", async function countLogin() { this.logins += 1 })
userSchema.post("save", function announce(doc) { console.log(`saved ${doc.fullName} (${doc.logins} logins)`) })
userSchema.post("deleteOne", { document: true, query: false }, function () { console.log(`deleted ${this.email}`) })
userSchema.post("deleteOne", function (result) { console.log(`${this.op} deleted ${result.deletedCount}`) })
userSchema.pre(["updateOne", "findOneAndUpdate"], function stamp() { this.set({ updatedBy: "admin" }) })
const User = mongoose.model("User", userSchema)
const ada = new User({ first: "Ada", last: "Lovelace", email: "  ADA@Example.com " })
ada.fullName
ada.greet()
await ada.save()
ada.fullName = "Augusta King"
await ada.save()
const again = await User.findByEmail("ada@example.com")
again.fullName
JSON.stringify(again)
const users = await Promise.all([User.create({ first: "Grace", last: "Hopper" }), User.countDocuments()])
users[0].greet()
let total = 0
for (const user of await User.find()) { total += user.logins }
total
userSchema.pre("save", function (next) { next() })
const bad = new User({ first: "Alan" })
await bad.save()
await User.updateOne({ first: "Grace" }, { last: "Brewster" })
await User.findOne({ first: "Grace" }).lean()
await again.deleteOne()
await User.deleteOne({ first: "Alan" })
await User.countDocuments()
