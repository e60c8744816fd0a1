// The auth check the next lecture teaches: a token signed with jsonwebtoken (HS256, a real HMAC-SHA256, expiring
// in an hour by the page's clock) at login, verified by an Express middleware on every request; a changed token, a
// missing one and another secret are refused with jsonwebtoken's errors.
const express = require("express")
const jwt = require("jsonwebtoken")
const SECRET = "lecture-secret"
const app = express()
app.use(express.json())
function auth(req, res, next) {
  const header = req.headers.authorization ?? ""
  try {
    req.user = jwt.verify(header.replace("Bearer ", ""), SECRET)
    next()
  } catch (error) {
    res.status(401).json({ error: error.message })
  }
}
app.post("/login", (req, res) => res.set("Authorization", jwt.sign({ username: req.body.username }, SECRET, { expiresIn: "1h" })).json({ ok: true }))
app.get("/me", auth, (req, res) => res.json({ you: req.user.username }))
const login = await fetch("/login", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "ada" }) })
const token = login.headers.get("authorization")
token.split(".").length
await (await fetch("/me", { headers: { authorization: `Bearer ${token}` } })).json()
await (await fetch("/me", { headers: { authorization: `Bearer ${token}x` } })).json()
await (await fetch("/me")).json()
jwt.decode(token).username
try { jwt.verify(token, "other") } catch (e) { console.log(e.name, e.message) }
