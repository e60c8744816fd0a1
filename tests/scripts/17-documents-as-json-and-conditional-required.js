// What a document becomes when it leaves the server, and the schema options that decide it: `toJSON` in the
// schema (virtuals with `id`, no `__v`, a `transform` that hides the password — returning nothing keeps `ret`),
// per-call `toObject({ getters: true })` (getters turn virtuals on), JSON.stringify and Express's res.json (both
// call toJSON). A virtual given to `new User()` runs its setter; an update that sets it drops it, even under
// strict "throw" (castUpdate.js, gh-6731 — surprising, but Mongoose's). `required` as a function decides per
// document (`this` the document); in update validators `this` is the query, so `this.role` is undefined there.
const mongoose = require("mongoose")
const express = require("express")
const userSchema = new mongoose.Schema({
  first: String,
  last: String,
  role: { type: String, default: "student" },
  password: String,
  email: { type: String, required: function () { return this.role === "admin" } },
  phone: { type: String, required: [function () { return this.role === "admin" }, "Admins need a phone"] },
  nick: { type: String, get: (v) => v && v.toUpperCase() }
}, {
  strict: "throw",
  toJSON: { virtuals: true, versionKey: false, transform(doc, ret) { delete ret.password } }
})
userSchema.virtual("fullName").get(function () { return `${this.first} ${this.last}` }).set(function (name) {
  const [first, last] = name.split(" ")
  this.first = first
  this.last = last
})
const User = mongoose.model("User", userSchema)
const ada = new User({ fullName: "Ada Lovelace", password: "secret", nick: "countess" })
ada.first
await ada.save()
ada.toJSON()
ada.toObject()
ada.toObject({ getters: true, versionKey: false })
JSON.stringify(ada)
const boss = new User({ fullName: "Grace Hopper", role: "admin" })
boss.validateSync().message
boss.validateSync().errors.email.kind
await User.create({ fullName: "Grace Hopper", role: "admin", email: "grace@navy.mil" })
await User.updateOne({ first: "Ada" }, { fullName: "Augusta King" })
await User.updateOne({ first: "Ada" }, { $set: { role: "admin", email: null } }, { runValidators: true })
const app = express()
app.get("/me", async (req, res) => res.json(await User.findOne({ first: "Ada" })))
await fetch("/me")
