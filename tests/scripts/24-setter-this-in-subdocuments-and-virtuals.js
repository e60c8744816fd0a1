// `this` inside setters while `new Model()` builds a document, as Mongoose 9 gives it: a path's setter sees the
// document being built (`$__buildDoc`'s nested objects, the defaults applied before setters — whose own setters
// run first — and the paths the constructor's `$set` already set, in schema order, with their setters' answers);
// a setter inside a subdocument (single nested or an array element) sees that subdocument (its defaults and `_id`,
// then its paths so far); a virtual's setter sees the document with every path set, and what it assigns is cast.
const mongoose = require("mongoose")
const seen = []
const note = (label) => function (v) { seen.push(`${label}(${v}) ${JSON.stringify(this)}`); return typeof v === "string" ? v.trim() : v }
const lineSchema = new mongoose.Schema({ sku: String, qty: { type: Number, default: 1 }, note: { type: String, set: note("line.note") } })
const orderSchema = new mongoose.Schema({
  title: { type: String, set: note("title"), default: "untitled" },
  status: { type: String, default: "open" },
  tags: [{ type: String, set: note("tag") }],
  ship: { city: String, zip: { type: String, set: note("ship.zip") } },
  gift: lineSchema,
  lines: [lineSchema],
  slug: { type: String, set: function (v) { seen.push(`slug sees title=${this.title} status=${this.get("status")}`); return v || this.title.toLowerCase() } }
})
orderSchema.virtual("label").set(function (v) { seen.push(`label(${v}) ${this.title} ${this.lines.length} ${this.gift.note} ${this.isNew}`); this.status = v })
const Order = mongoose.model("Order", orderSchema)
const order = new Order({ label: "held", slug: "", lines: [{ note: " fragile ", sku: "a" }, { sku: "b", note: "x" }], gift: { note: " wrap ", sku: "g" }, ship: { zip: " 0150 ", city: "Oslo" }, tags: [" a ", "b"], title: " Big Box " })
seen
order.toObject()
await order.save()
