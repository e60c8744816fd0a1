// Setter functions where Mongoose 9 runs them, and insertMany as it builds documents. `set: fn` sits among
// `trim`/`lowercase`/`uppercase` in the order the options are written, and the list runs last to first
// (SchemaType._applySetters), so `{ set, trim }` trims before the function and `{ trim, set }` after it; setters
// run on nested paths and array elements, on filter values (castForQuery) and update values (castUpdate.js),
// `this` the query — except a Number's `$gt`, which only casts. insertMany builds every document with
// `new Model(doc)` and validates it first: ordered, the first invalid document throws and nothing is sent;
// `ordered: false` sends the valid ones (`rawResult` adds `mongoose.validationErrors`, `throwOnValidationError`
// throws MongooseBulkWriteError after the insert). A `required` function that throws becomes that path's error
// (the Error itself), and inside subdocuments `this` is the subdocument.
const mongoose = require("mongoose")
const itemSchema = new mongoose.Schema({ label: String, code: { type: String, required: function () { return this.label === "boxed" } } })
const productSchema = new mongoose.Schema({
  name: { type: String, required: true, set: (v) => v + "!", trim: true, lowercase: true },
  shout: { type: String, trim: true, set: (v) => v + " x", uppercase: true },
  tags: [{ type: String, set: (v) => v.toUpperCase() }],
  price: { type: Number, min: 0, set: (v) => Math.round(v * 100) / 100 },
  meta: { city: { type: String, set: (v) => v.trim() } },
  sku: { type: String, required: function () { if (this.price > 1000) throw new Error(`price ${this.price} needs approval`); return false } },
  box: itemSchema,
  items: [itemSchema]
})
productSchema.pre("validate", function () { console.log("validating", this.name) })
const Product = mongoose.model("Product", productSchema)
const pen = new Product({ name: "  Pen ", shout: " hi ", tags: ["a", "b"], price: 1.239, meta: { city: " Oslo " } })
pen.toObject()
await Product.insertMany([{ name: " Ink " }, { price: -1 }, { name: "Cap", price: -2 }])
await Product.insertMany([{ name: " Ink " }, { price: -1 }, { name: "Cap", price: -2 }], { ordered: false })
const raw = await Product.insertMany([{ name: "Pad" }, { price: -3 }], { ordered: false, rawResult: true })
raw.mongoose.validationErrors.map((e) => e.message)
await Product.insertMany([{ name: "Nib" }, {}], { ordered: false, throwOnValidationError: true })
await Product.insertMany([{ price: -1 }], { ordered: false })
await Product.insertMany([5], { ordered: false })
await Product.updateOne({ name: "  INK " }, { name: " Ink2 ", $push: { tags: "c" }, $inc: { price: 1.005 } })
await Product.find({ name: { $in: [" PAD ", " ink2 "] }, price: { $gt: 0.5 } }).lean()
const gold = new Product({ name: "gold", price: 5000, box: { label: "boxed" }, items: [{ label: "loose" }, { label: "boxed" }] })
await gold.validate()
