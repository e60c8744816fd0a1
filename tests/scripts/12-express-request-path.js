// The request path the lecture draws: the browser's fetch → Express (middleware, auth check, handler) → the
// database → an HTTP response. Express 5's rules: req.body only after express.json() and a JSON content type,
// next() and next(err), an error handler with four parameters, a rejected async handler routed to it, Express's own
// 404 and 500 pages, answering twice, a handler that never answers. The same server runs in both panes: the
// schemaless database stores the mass-assigned isAdmin, Mongoose's strict schema drops it.
const mongoose = require("mongoose")
const express = require("express")
const User = mongoose.model("User", new mongoose.Schema({ username: { type: String, required: true }, password: String }))
const Post = mongoose.model("Post", new mongoose.Schema({ author: String, text: String }))
await Post.insertMany([{ author: "ada", text: "hello" }, { author: "bob", text: "hi ada" }])
const app = express()
app.use(express.json())
let visits = 0
function auth(req, res, next) {
  const token = req.headers.authorization
  if (!token) return res.status(401).json({ error: "log in first" })
  req.user = token.replace("Bearer ", "")
  next()
}
app.get("/feed", auth, async (req, res) => {
  visits++
  res.json(await Post.find({ author: { $ne: req.user } }, { _id: 0, author: 1, text: 1 }))
})
app.post("/signup", async (req, res) => {
  const user = await User.create({ username: req.body.username, password: req.body.password, isAdmin: req.body.isAdmin })
  res.status(201).json({ id: user._id })
})
const api = express.Router()
api.get("/users/:id", async (req, res, next) => {
  const user = await User.findById(req.params.id)
  if (!user) return next(Object.assign(new Error(`no user ${req.params.id}`), { status: 404 }))
  res.json({ username: user.username })
})
api.get("/twice", (req, res) => { res.json({ first: true }); res.json({ second: true }) })
app.use("/api", api)
app.get("/silent", (req, res) => {})
app.use((err, req, res, next) => res.status(err.status ?? 500).json({ error: err.message }))
app.listen(3000, () => console.log("listening on 3000"))
const anonymous = await fetch("http://localhost:3000/feed")
anonymous.status
await anonymous.json()
const mine = await fetch("/feed", { headers: { Authorization: "Bearer ada" } })
await mine.json()
const signup = await fetch("/signup", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username: "ada", password: "x", isAdmin: true }) })
signup.status
await User.findOne({ username: "ada" }).lean()
const forgot = await fetch("/signup", { method: "POST", body: JSON.stringify({ username: "eve" }) })
await forgot.json()
const id = (await User.findOne({ username: "ada" }))._id
await (await fetch(`/api/users/${id}`)).json()
const missing = await fetch("/api/users/659200800000000001009999")
missing.status
await missing.json()
await (await fetch("/api/twice")).json()
const nope = await fetch("/nope")
nope.status
await nope.text()
await fetch("/silent")
visits
