// Default functions inside the elements of a document array, as Mongoose 9 runs them: each element's constructor
// applies its schema's defaults after its `$set` (`this` the element, holding its given paths, its plain defaults
// and its `_id`, then each default function's value in schema order), so an element's key order ends with its
// default functions' paths; the document's own default functions come after its elements' and see them. The same
// for `create`, `insertMany` and `save()` (what is sent holds them), and for documents found in the database
// (each default function seeing the ones `applyDefaults` set before it), and for the elements an update casts
// (`$push`, `$set` of an element: castUpdate builds them with the array's caster, whose constructor applies them).
const mongoose = require("mongoose")
await db.orders.insertOne({ lines: [{ sku: "raw" }] })
const seen = []
const lineSchema = new mongoose.Schema({
  sku: String,
  code: { type: String, default: function () { seen.push(`code ${JSON.stringify(this)}`); return "c-" + (this.sku || "none") } },
  qty: { type: Number, default: 1 },
  label: { type: String, default: function () { seen.push(`label ${JSON.stringify(this)}`); return this.code + "/" + this.qty } }
})
const orderSchema = new mongoose.Schema({ title: String, lines: [lineSchema], first: { type: String, default: function () { seen.push(`first sees ${this.lines.map((l) => l.label).join()}`); return this.lines.length ? this.lines[0].label : "none" } } })
const Order = mongoose.model("Order", orderSchema)
const order = new Order({ lines: [{ sku: "a" }, { label: "given", qty: 3 }], title: "t" })
seen.splice(0)
order.toObject()
const created = await Order.create({ lines: [{ sku: "b" }] })
seen.splice(0)
created.lines[0].label
await Order.insertMany([{ lines: [{}] }])
seen.splice(0)
await order.save()
seen.splice(0)
const found = await Order.findOne({ _id: created._id })
found.lines[0].label
const raw = await Order.findOne({ "lines.sku": "raw" })
seen.splice(0)
raw.toObject()
await Order.updateOne({ _id: created._id }, { $push: { lines: { sku: "pushed" } } })
await Order.updateOne({ _id: created._id }, { $set: { "lines.1": { qty: 2 } } })
seen.splice(0)
