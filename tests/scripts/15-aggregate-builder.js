// Mongoose's Aggregate builder: User.aggregate() with no pipeline, then one method per stage (match, group, sort
// with Mongoose's "-field" strings, unwind with or without `$`, lookup, addFields, sortByCount, replaceRoot, facet,
// append, count); .pipeline() shows the stages, awaiting, exec() or then() sends them as one driver aggregate.
// Mongoose refuses an empty pipeline (the driver does not), a stage passed without its array, and bad arguments.
const mongoose = require("mongoose")
const Course = mongoose.model("Course", new mongoose.Schema({ title: String, price: Number }))
const User = mongoose.model("User", new mongoose.Schema({ name: String, city: String, age: Number, skills: [String], courses: [{ type: mongoose.Schema.Types.ObjectId, ref: "Course" }] }))
const dbs = await Course.create({ title: "Databases", price: 49 })
await User.create([{ name: "ada", city: "London", age: 36, skills: ["sql", "rust"], courses: [dbs._id] }, { name: "bob", city: "Paris", age: 20, skills: ["sql"] }, { name: "eve", city: "London", age: 30, skills: [] }])
await User.aggregate().match({ age: { $gte: 21 } }).group({ _id: "$city", n: { $sum: 1 }, avgAge: { $avg: "$age" } }).sort("-n _id")
User.aggregate().sort("-age").limit(2).project("name age -_id").pipeline()
User.aggregate().sort({ age: "desc" }).skip(1).limit(1).project({ _id: 0, name: 1 })
await User.aggregate().unwind("skills").sortByCount("$skills")
await User.aggregate().match({ name: "ada" }).lookup({ from: "courses", localField: "courses", foreignField: "_id", as: "bought" }).unwind({ path: "$bought" }).replaceRoot("bought")
await User.aggregate([{ $match: { city: "London" } }]).addFields({ adult: { $gte: ["$age", 18] } }).project("name adult -_id")
await User.aggregate().facet({ byCity: [{ $sortByCount: "$city" }], oldest: [{ $sort: { age: -1 } }, { $limit: 1 }, { $project: { _id: 0, name: 1 } }] })
const londoners = User.aggregate().match({ city: "London" })
await londoners.append({ $sort: { age: 1 } }, { $limit: 1 }).project("name -_id").exec()
await User.aggregate().match({ city: "London" }).count("londoners")
User.aggregate().match({ age: { $lt: 30 } }).then((rows) => rows.map((row) => row.name))
await User.aggregate()
await User.aggregate({ $match: { city: "London" } })
try { User.aggregate().unwind(3) } catch (e) { console.log(e.name, e.message) }
try { User.aggregate().sort("age", -1) } catch (e) { console.log(e.name, e.message) }
try { User.aggregate().append({ $match: {}, $limit: 1 }) } catch (e) { console.log(e.name, e.message) }
await User.aggregate().match({}).where({ age: 3 })
