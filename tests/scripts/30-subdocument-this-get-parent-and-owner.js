// A subdocument is a document in Mongoose 9, so inside its `set` and `default` functions `this.get(path)`,
// `this.parent()`, `this.ownerDocument()` and `this.isNew` answer: an array element's parent is the document
// holding the array (the same object as `ownerDocument()`), a subdocument inside an element has the element as
// its parent; each as it stands while the function runs (`sku` is not set yet when `z`'s setter runs, being
// declared after it).
const mongoose = require("mongoose")
const seen = []
const show = (label, self) => { const p = self.parent(); const o = self.ownerDocument(); seen.push(`${label}: get("sku")=${self.get("sku")} parent=${p && p.title}/${p && p.get("sku")} owner=${o && o.title} same=${p === o} isNew=${self.isNew}`) }
const innerSchema = new mongoose.Schema({ z: { type: String, set: function (v) { show("inner.z", this); return v } }, sku: String })
const lineSchema = new mongoose.Schema({
  sku: String,
  note: { type: String, set: function (v) { show("line.note", this); return v } },
  code: { type: String, default: function () { show("line.code", this); return "c-" + this.get("sku") } },
  inner: innerSchema
})
const Order = mongoose.model("Order", new mongoose.Schema({ title: String, lines: [lineSchema] }))
const order = new Order({ title: "T", lines: [{ sku: "a", note: "n", inner: { sku: "i", z: "zz" } }] })
seen
order.lines[0].code
