// Errors as a program sees them in catch: Mongoose's errors map, kind, path and value; the server's code.
const mongoose = require("mongoose")
const User = mongoose.model("User", new mongoose.Schema({
  username: { type: String, required: [true, "Every user needs a username"], unique: true },
  age: { type: Number, min: 0 },
}))
await User.create({ username: "ada" })
try { await User.create({ age: "abc" }) } catch (err) { console.log(err.name, err.errors.username.message, err.errors.username.kind, err.errors.age.name, err.errors.age.value) }
try { await User.create({ username: "ada" }) } catch (err) { console.log(err.name, err.code) }
try { await User.findOne({ age: "old" }) } catch (err) { console.log(err.name, err.path, err.kind) }
