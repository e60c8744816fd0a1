// Updates: casting, runValidators, upserts, findOneAndUpdate, deletes.
const mongoose = require("mongoose")
const User = mongoose.model("User", new mongoose.Schema({
  username: { type: String, required: true, unique: true },
  age: { type: Number, min: 0 },
  premium: { type: Boolean, default: false },
  purchasedCourses: [mongoose.Schema.Types.ObjectId],
}))
await User.create([{ username: "ada", age: 36 }, { username: "alan", age: 41 }])
await User.updateOne({ username: "ada" }, { $inc: { age: "1" } })
await User.updateOne({ username: "ada" }, { age: -5 })
await User.updateOne({ username: "ada" }, { age: -5 }, { runValidators: true })
await User.updateMany({}, { $set: { premium: true } })
await User.updateOne({ username: "grace" }, { age: 85 }, { upsert: true })
await User.findOneAndUpdate({ username: "alan" }, { $push: { purchasedCourses: "659200800000000001000099" } }, { new: true })
const ada = await User.findOne({ username: "ada" })
await User.findByIdAndUpdate(ada._id.toString(), { age: 37 })
await User.replaceOne({ username: "grace" }, { username: "grace", age: "86", bogus: 1 })
await User.deleteOne({ username: "alan" })
await User.findOneAndDelete({ username: "grace" })
await User.deleteMany({})
await User.estimatedDocumentCount()
