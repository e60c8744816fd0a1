// What a document holds and how it prints, as Mongoose 9 builds and shows it. `new Model()` starts from the
// nested objects `$__buildDoc` creates, so `toObject({ minimize: false })` keeps an empty one — unless the input
// gave its parent, which `$set` replaces whole; saving minimizes it. The REPL and `console.log` print a document
// (in an array too) through its `[util.inspect.custom]`, which is `toObject()` with the schema's `toObject`
// options. `toObject({ getters: true })` runs a path's getter even when the path is absent (applyGetters: last
// path first, what the getter returns added, `undefined` minimized away), and path `transform`s run below the top
// level too: in nested paths and in subdocuments, `this` the subdocument (applySchemaTypeTransforms). A virtual's
// setter runs after the setters of the paths the input gives (`$set` takes the keys in schema.tree order).
const mongoose = require("mongoose")
const profileSchema = new mongoose.Schema({ name: String, profile: { bio: String, links: { site: String } }, sub: new mongoose.Schema({ a: String, n: { b: String } }) })
const Profile = mongoose.model("Profile", profileSchema)
new Profile({ name: "Ada" }).toObject({ minimize: false })
new Profile({ profile: { bio: "math" }, sub: {} }).toObject({ minimize: false })
const ada = new Profile({ name: "Ada" })
ada
await ada.save()
ada
const Loose = mongoose.model("Loose", new mongoose.Schema({ profile: { bio: String, links: { site: String } } }, { minimize: false }))
await Loose.create({ profile: { bio: "x" } })
await Loose.create({})
const Shown = mongoose.model("Shown", new mongoose.Schema({ name: String }, { toObject: { virtuals: true, versionKey: false, transform(doc, ret) { ret.shown = true } } }))
const grace = new Shown({ name: "Grace" })
grace
console.log([grace, new Profile({ name: "Bob" })])
const Getters = mongoose.model("Getters", new mongoose.Schema({ a: { type: String, get: (v) => v && v.toUpperCase() }, b: { type: String, get: (v) => v ?? "none" }, n: { c: { type: String, get: (v) => v ?? "nc" }, d: String }, e: String }))
const g = new Getters({ e: "e" })
g.toObject({ getters: true })
g.toObject({ getters: true, minimize: false, virtuals: false })
new Getters({ a: "q", n: { d: "z" } }).toObject({ getters: true, virtuals: false })
const lineSchema = new mongoose.Schema({ s: { type: String, transform: (v) => "T" + v }, t: String })
const Shaped = mongoose.model("Shaped", new mongoose.Schema({ top: { type: String, transform: (v) => "X" + v }, nest: { p: { type: String, transform: (v) => "N" + v }, q: { type: Number, transform: (v) => v * 10 } }, line: lineSchema, lines: [lineSchema] }))
const z = new Shaped({ top: "a", nest: { p: "b" }, line: { s: "c", t: "u" }, lines: [{ s: "d" }, { t: "v" }] })
z.toObject()
z.toObject({ transform: false })
z.toJSON()
new Shaped({ nest: { q: 2 } }).toObject()
const nameSchema = new mongoose.Schema({ first: { type: String, set(v) { console.log("set first", v); return v } }, last: { type: String, set(v) { console.log("set last", v); return v } }, n: { c: { type: String, set(v) { console.log("set n.c", v); return v } } } })
nameSchema.virtual("full").set(function (v) { console.log("virtual full", v); const [a, b] = v.split(" "); this.first = a; this.last = b })
const Person = mongoose.model("Person", nameSchema)
const p = new Person({ full: "Ada Lovelace", first: "X", n: { c: "q" } })
p.toObject()
new Person({ last: "L", full: "Ada Lovelace" }).toObject()
