// What a path's `set` function assigns to `this`, as Mongoose 9 keeps it. In `new Model()` (and `create`) `this`
// is the document being built and the assignment is a `$set` of that path at once: it holds unless the
// constructor's `$set` sets that path afterwards (a given path after the setter's in schema order wins over it;
// one before it, or not given, takes the assigned value, cast); a path outside the schema is dropped. Inside a
// subdocument `this` is the subdocument. An assignment (`doc.name = …`) runs the setter on the document itself.
// In an update's cast `this` is the query: the assignment stays on the query and nothing more is sent.
const mongoose = require("mongoose")
const itemSchema = new mongoose.Schema({ tag: String, code: { type: String, set: function (v) { this.tag = "t-" + v; return v } } })
const schema = new mongoose.Schema({
  other: String,
  name: { type: String, set: function (v) { this.other = "y-" + v; this.count = "7"; this.stray = 1; return v } },
  count: Number,
  later: String,
  mark: { type: String, set: function (v) { this.later = "set-by-mark"; return v } },
  items: [itemSchema],
  one: itemSchema
})
const M = mongoose.model("M", schema)
new M({ other: "given", name: "n1" }).toObject()
new M({ name: "n2", other: "given" }).toObject()
new M({ later: "given", mark: "m" }).toObject()
JSON.stringify(new M({ items: [{ code: "c1" }, { tag: "given", code: "c2" }], one: { code: "o" } }).toObject())
const d = new M({})
d.mark = "assigned"
d.toObject()
const c = await M.create({ mark: "cr" })
await M.updateOne({}, { name: "upd", mark: "m2" })
