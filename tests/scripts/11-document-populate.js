// `doc.populate(path)` on a document the program holds: one query to the referenced collection (the driver has
// no populate, so its pane keeps the ids), and a later save() sends the ids again, not the populated documents.
const mongoose = require("mongoose")
const Course = mongoose.model("Course", new mongoose.Schema({ title: String }))
const User = mongoose.model("User", new mongoose.Schema({ username: String, purchasedCourses: [{ type: mongoose.Schema.Types.ObjectId, ref: "Course" }] }))
const c = await Course.create({ title: "Databases" })
const ada = await User.create({ username: "ada", purchasedCourses: [c._id] })
await ada.populate("purchasedCourses")
ada.purchasedCourses[0].title
ada.username = "Ada"
await ada.save()
