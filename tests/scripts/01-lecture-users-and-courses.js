const mongoose = require("mongoose")
const courseSchema = new mongoose.Schema({ title: { type: String, required: true }, price: Number })
const Course = mongoose.model("Course", courseSchema)
const userSchema = new mongoose.Schema({
  username: { type: String, required: true, unique: true, trim: true, lowercase: true },
  email: String,
  age: { type: Number, min: 0 },
  premium: { type: Boolean, default: false },
  password: { type: String, select: false },
  purchasedCourses: [{ type: mongoose.Schema.Types.ObjectId, ref: "Course" }]
}, { timestamps: true })
const User = mongoose.model("User", userSchema)
const c = await Course.create({ title: "Databases", price: "49" })
const u = await User.create({ username: "  Ada ", age: "36", hacker: true, password: "pw" })
await User.create({ username: "ada" })
await User.create({ age: -1 })
await User.findById("abc")
await User.findOne({ username: "ada" })
await User.updateOne({ username: "ada" }, { $push: { purchasedCourses: c._id } })
await User.findOne({ username: "ada" }).populate("purchasedCourses")
await User.updateOne({ username: "ada" }, { nickname: "x" })
await User.updateMany({}, { premium: "yes" })
await User.update({}, { premium: true })
await User.find({ age: { $gt: "30" } }).select("username age").sort("-age").lean()
await User.findOneAndUpdate({ username: "ada" }, { age: 37 }, { new: true })
await User.deleteOne({ username: "nobody" })
await User.countDocuments()
db.users.find()
