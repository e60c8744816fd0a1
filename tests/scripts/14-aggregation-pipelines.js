// Aggregation in both worlds: a $group the database computes, $lookup joining in one call where populate takes two,
// the pitfall Mongoose users meet most (aggregate() is not cast: a string id matches nothing, an ObjectId does),
// a malformed stage with MongoDB's error, and $out writing a collection.
const mongoose = require("mongoose")
const User = mongoose.model("User", new mongoose.Schema({ name: String, city: String, age: Number, purchasedCourses: [{ type: mongoose.Schema.Types.ObjectId, ref: "Course" }] }))
const Course = mongoose.model("Course", new mongoose.Schema({ title: String, price: Number }))
const db1 = await Course.create({ title: "Databases", price: 49 })
const ada = await User.create({ name: "ada", city: "London", age: 36, purchasedCourses: [db1._id] })
await User.create([{ name: "bob", city: "Paris", age: 20 }, { name: "eve", city: "London", age: 30 }])
await User.aggregate([{ $group: { _id: "$city", n: { $sum: 1 }, avgAge: { $avg: "$age" } } }, { $sort: { n: -1 } }])
db.users.aggregate([{ $match: { name: "ada" } }, { $lookup: { from: "courses", localField: "purchasedCourses", foreignField: "_id", as: "courses" } }, { $project: { _id: 0, name: 1, "courses.title": 1 } }])
await User.aggregate([{ $match: { _id: ada._id.toString() } }])
await User.find({ _id: ada._id.toString() }).countDocuments()
await User.aggregate([{ $match: { _id: new mongoose.Types.ObjectId(ada._id.toString()) } }, { $count: "found" }])
db.users.aggregate([{ $group: { n: 1 } }])
db.users.aggregate([{ $group: { _id: "$city" } }, { $out: "cities" }])
db.cities.countDocuments()
