// Time spans read as the `ms` package reads them (one parser for both): Mongoose's `expires` on a Date path
// becomes a TTL index's `expireAfterSeconds` (`ms(span) / 1000`, rounded), and jsonwebtoken's `expiresIn` sets
// `exp` to `iat` plus the span's seconds (rounded down). Units are case-insensitive, a space may stand before them.
const mongoose = require("mongoose")
const jwt = require("jsonwebtoken")
const Visit = mongoose.model("Visit", new mongoose.Schema({ at: { type: Date, expires: "1.5 days" }, seen: { type: Date, expires: "90s" }, left: { type: Date, expires: "2 HRS" } }))
const payload = jwt.verify(jwt.sign({ user: "ada" }, "s3cret", { expiresIn: "1.5h" }), "s3cret")
payload.exp - payload.iat
const week = jwt.verify(jwt.sign({ user: "ada" }, "s3cret", { expiresIn: "1 week" }), "s3cret")
week.exp - week.iat
