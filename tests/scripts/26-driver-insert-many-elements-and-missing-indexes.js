// The raw driver as the Node.js driver (mongodb 7) and MongoDB 7 answer: `insertMany` turns each element into an
// `insertOne` operation and sets its `_id`, which on a number, string or boolean is JavaScript's TypeError (the first
// such element, before anything is sent); the BSON serializer refuses an array, a date or an ObjectId as a document
// when the batch is sent; a `null` element inserts the operation itself, `{ document: null }`. `getIndexes()` on a
// collection that does not exist is the server's NamespaceNotFound (code 26), as `listIndexes` answers it.
db.notes.getIndexes()
db.notes.insertMany([5])
db.notes.insertMany([{ text: "ok" }, "two"])
db.notes.insertMany([{ text: "ok" }, [1, 2]])
db.notes.insertMany([new Date(0)])
db.notes.insertMany([{ text: "first" }, null])
db.notes.find({}, { _id: 0 })
db.notes.getIndexes()
let failure
try { await db.archive.getIndexes() } catch (e) { failure = [e.name, e.code, e.codeName, e.message] }
failure
