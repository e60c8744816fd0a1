// Functions inside a schema definition, as a Mongoose tutorial writes them: custom validators (a function, an
// object with a message template or a message function, an array, a validator that throws), default functions,
// and get/set functions. The driver pane has no schema: it stores what it is given.
const mongoose = require("mongoose")
const userSchema = new mongoose.Schema({
  email: { type: String, required: true, validate: { validator: (v) => v.includes("@"), message: (props) => `${props.value} is not an email` } },
  age: { type: Number, validate: [{ validator: Number.isInteger, message: "{VALUE} is not a whole number" }] },
  handle: { type: String, validate: function (v) { if (v === "root") throw new Error(`\`${v}\` is reserved`); return true } },
  invite: { type: String, default: () => "welcome-" + "2024" },
  name: { type: String, set: (v) => v.trim(), get: (v) => v && v[0].toUpperCase() + v.slice(1) },
  joined: { type: Date, default: Date.now }
})
const User = mongoose.model("User", userSchema)
const ada = new User({ email: "ada", age: 36.5, handle: "root", name: "  ada lovelace " })
ada.name
ada.invite
await ada.save()
const error = ada.validateSync()
Object.keys(error.errors)
error.errors.email.kind
ada.email = "ada@example.com"
ada.age = 36
ada.handle = "ada"
await ada.save()
ada.toObject().name
ada.name = "  countess  "
await ada.save()
await User.create({ email: "grace" })
await User.countDocuments()
