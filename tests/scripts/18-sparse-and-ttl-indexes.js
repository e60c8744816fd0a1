// Sparse and TTL indexes. A sparse index leaves out the documents that lack its field, so a unique sparse index
// lets many documents have no email (a plain unique index would refuse the second: both index as null), and the
// planner does not use it for a query that matches missing fields ({ email: null }). Mongoose asks for them with
// `sparse: true` and `expires` on a Date path ('1h' through the ms package → expireAfterSeconds: 3600).
// MongoDB's TTL monitor removes a document once its indexed date is older than expireAfterSeconds; crudlab runs
// it before each Run (each statement of a script), and what it removed is shown and can be undone. A document
// without a date there never expires. The driver pane has no schema, so nobody asked for these indexes there.
const mongoose = require("mongoose")
const sessionSchema = new mongoose.Schema({ user: String, email: { type: String, unique: true, sparse: true }, createdAt: { type: Date, expires: "1h" } })
const Session = mongoose.model("Session", sessionSchema)
db.sessions.getIndexes()
await Session.create({ user: "ada", createdAt: new Date("2020-01-01T00:00:00Z") })
await Session.create({ user: "grace" })
await Session.create({ user: "alan", email: "alan@bletchley.uk" })
await Session.create({ user: "joan", email: "alan@bletchley.uk" })
await Session.find({}, { _id: 0, user: 1 })
db.sessions.find({ email: null }).explain("executionStats").queryPlanner.winningPlan.stage
db.sessions.find({ email: "alan@bletchley.uk" }).explain("executionStats").queryPlanner.winningPlan.inputStage.indexName
db.logins.createIndex({ at: 1 }, { expireAfterSeconds: 60 })
db.logins.insertMany([{ at: [new Date("2021-01-01T00:00:00Z"), new Date("2999-01-01T00:00:00Z")] }, { at: "yesterday" }, { other: 1 }])
db.logins.countDocuments()
db.logins.createIndex({ a: 1, b: 1 }, { expireAfterSeconds: 60 })
db.logins.createIndex({ b: 1 }, { expireAfterSeconds: "60" })
