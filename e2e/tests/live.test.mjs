// The student's path: the page opened with no query string (live ObjectIds, the browser's clock), the lecture's
// code typed statement by statement, dates and ObjectIds made live, and a reload and a "Restart server" in the
// middle of each: the data is kept and the console stays clean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveAndLaunch, openPage, screenshot, ready, runAndRead } from '../harness.mjs';

const env = serveAndLaunch();

/** Types one statement as a student does and runs it; returns both panes' text. */
/** Both panes answered without an error. */
function bothFine(panes, what) {
  for (const [side, text] of Object.entries(panes)) {
    assert.doesNotMatch(text, /Error:|panicked|unreachable/, `${what} (${side}):\n${text}`);
  }
}

/** Clicks "Restart server" and waits for its notice (one more than before). */
async function restartServer(page) {
  const notice = page.getByTestId('notices').getByText('Server restarted: its memory is gone');
  const before = await notice.count();
  await page.getByTestId('restart').click();
  for (let tries = 0; tries < 100 && (await notice.count()) <= before; tries += 1) await page.waitForTimeout(100);
  assert.ok((await notice.count()) > before, 'the server restarted');
  await ready(page);
}

async function reload(page) {
  await page.reload();
  await ready(page);
}

test('the lecture, statement by statement, in a page opened as a student opens it', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1440, height: 1000 });
  assert.equal(new URL(page.url()).search, '', 'no query string: the live generator');
  await ready(page);
  const steps = [
    'const mongoose = require("mongoose")',
    `const userSchema = new mongoose.Schema({
  username: { type: String, required: true },
  password: String,
  premium: { type: Boolean, default: false },
  purchasedCourses: [{ type: mongoose.Schema.Types.ObjectId, ref: "Course" }],
})`,
    'const User = mongoose.model("User", userSchema)',
    'const Course = mongoose.model("Course", new mongoose.Schema({ title: String, price: Number }))',
  ];
  for (const step of steps) bothFine(await runAndRead(page, step), step);

  let panes = await runAndRead(page, 'const user = await User.create({ username: "ada", password: "secret" })');
  bothFine(panes, 'create');
  assert.match(panes.mongoose, /insertOne\(\{[^)]*username: 'ada'/);
  panes = await runAndRead(page, 'user');
  assert.match(panes.mongoose, /_id: ObjectId\('[0-9a-f]{24}'\)/);
  const id = panes.mongoose.match(/_id: ObjectId\('([0-9a-f]{24})'\)/)[1];
  const seconds = parseInt(id.slice(0, 8), 16);
  const now = await page.evaluate(() => Math.floor(Date.now() / 1000));
  assert.ok(Math.abs(now - seconds) < 120, `the ObjectId's timestamp ${seconds} is now (${now})`);

  panes = await runAndRead(page, 'await User.findById(user._id)');
  bothFine(panes, 'findById');
  assert.match(panes.mongoose, /username: 'ada'/);
  assert.match(panes.raw, /username: 'ada'/);
  await screenshot(page, 'live-lecture-find-by-id');

  // The server restarts: the variables go, the models are declared again, the data stays.
  await restartServer(page);
  panes = await runAndRead(page, 'const ada = await User.findOne({ username: "ada" })');
  bothFine(panes, 'findOne after restart');
  panes = await runAndRead(page, 'ada');
  assert.match(panes.mongoose, new RegExp(`_id: ObjectId\\('${id}'\\)`), 'the same document after the restart');
  panes = await runAndRead(page, 'await User.find()');
  bothFine(panes, 'find');
  assert.match(panes.mongoose, /username: 'ada'/);
  bothFine(await runAndRead(page, 'await Course.create({ title: "Databases", price: 49 })'), 'Course.create');

  // The page reloads: the same again.
  await reload(page);
  bothFine(await runAndRead(page, 'const course = await Course.findOne({ title: "Databases" })'), 'findOne course');
  panes = await runAndRead(page, 'await User.updateOne({ username: "ada" }, { $push: { purchasedCourses: course._id } })');
  bothFine(panes, 'updateOne $push');
  assert.match(panes.mongoose, /modifiedCount: 1/);
  assert.match(panes.raw, /modifiedCount: 1/);

  panes = await runAndRead(page, 'await User.update({}, { premium: true })');
  assert.match(panes.mongoose, /TypeError: User\.update is not a function/);
  assert.match(panes.mongoose, /Use User\.updateOne\(\) for one document or User\.updateMany\(\)/);
  panes = await runAndRead(page, 'await User.updateMany({}, { premium: true })');
  assert.match(panes.mongoose, /\$set: \{ premium: true/);
  assert.match(panes.mongoose, /matchedCount: 1/);
  assert.match(panes.raw, /Update document requires atomic operators/, 'the raw driver refuses a plain object');
  panes = await runAndRead(page, 'await User.findOne({ username: "ada" }).populate("purchasedCourses")');
  bothFine(panes, 'populate');
  assert.match(panes.mongoose, /title: 'Databases'/);
  await screenshot(page, 'live-lecture-populate');

  await restartServer(page);
  panes = await runAndRead(page, 'await User.deleteOne({ username: "ada" })');
  bothFine(panes, 'deleteOne');
  assert.match(panes.mongoose, /deletedCount: 1/);
  panes = await runAndRead(page, 'await Course.deleteMany({})');
  bothFine(panes, 'deleteMany');
  assert.match(panes.mongoose, /deletedCount: 1/);
  await reload(page);
  panes = await runAndRead(page, 'await User.countDocuments()');
  assert.match(panes.mongoose, /\n0\n|^0$|\b0\s*$/m);
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});

test('new Date(), Date.now(), $currentDate, timestamps and default: Date.now read the browser clock', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1440, height: 1000 });
  await ready(page);
  const year = await page.evaluate(() => String(new Date().getUTCFullYear()));
  let panes = await runAndRead(page, 'db.events.insertOne({ at: new Date() })');
  bothFine(panes, 'new Date()');
  panes = await runAndRead(page, 'db.events.findOne()');
  assert.match(panes.raw, new RegExp(`at: ISODate\\('${year}-`), panes.raw);

  await runAndRead(page, 'Date.now()');
  const result = await page.getByTestId('pane-raw').getByTestId('result').innerText();
  assert.match(result, /^\d{13}$/, `Date.now() is a number: ${result}`);
  const printed = Number(result);
  const now = await page.evaluate(() => Date.now());
  assert.ok(Math.abs(now - printed) < 60000, `Date.now() printed ${printed}, the page says ${now}`);

  await reload(page);
  panes = await runAndRead(page, 'db.events.updateOne({}, { $currentDate: { seen: true } })');
  bothFine(panes, '$currentDate');
  assert.match(panes.raw, /modifiedCount: 1/);
  panes = await runAndRead(page, 'db.events.updateOne({}, { $currentDate: { seen: true } })');
  assert.match(panes.raw, /modifiedCount: 1/, 'a second $currentDate is a later date, as against a real server');
  panes = await runAndRead(page, 'db.events.findOne()');
  assert.match(panes.raw, new RegExp(`seen: ISODate\\('${year}-`));

  bothFine(await runAndRead(page, `const mongoose = require("mongoose")
const Post = mongoose.model("Post", new mongoose.Schema({ text: String, postedAt: { type: Date, default: Date.now } }, { timestamps: true }))`), 'schema');
  panes = await runAndRead(page, 'await Post.create({ text: "hello" })');
  bothFine(panes, 'Post.create');
  for (const field of ['postedAt', 'createdAt', 'updatedAt']) {
    assert.match(panes.mongoose, new RegExp(`${field}: ISODate\\('${year}-`), `${field} in ${panes.mongoose}`);
  }
  await screenshot(page, 'live-dates');
  await restartServer(page);
  panes = await runAndRead(page, 'await Post.updateOne({ text: "hello" }, { text: "hello again" })');
  assert.doesNotMatch(panes.mongoose, /Error:/, panes.mongoose);
  assert.match(panes.raw, /Update document requires atomic operators/, 'the raw driver refuses a plain object');
  assert.match(panes.mongoose, new RegExp(`updatedAt: ISODate\\('${year}-`));
  assert.match(panes.mongoose, /modifiedCount: 1/);
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});

test('live ObjectIds increase: sorting by _id is insertion order, across Runs, restarts and reloads', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1280, height: 900 });
  await ready(page);
  const batch = Array.from({ length: 15 }, (_, i) => `{ n: ${i} }`).join(', ');
  bothFine(await runAndRead(page, `db.seq.insertMany([${batch}])`), 'insertMany');
  bothFine(await runAndRead(page, 'db.seq.insertOne({ n: 15 })'), 'insertOne');
  await restartServer(page);
  bothFine(await runAndRead(page, 'db.seq.insertOne({ n: 16 })'), 'insertOne after restart');
  // A new page has a new random value in its ObjectIds: ids of two pages are ordered by their timestamp only,
  // as ids of two MongoDB clients are. A second passes before the next page makes one.
  await page.waitForTimeout(1100);
  await reload(page);
  bothFine(await runAndRead(page, 'db.seq.insertOne({ n: 17 })'), 'insertOne after reload');
  await runAndRead(page, 'db.seq.find({}, { _id: 0, n: 1 }).sort({ _id: 1 })');
  const printed = async (pane) => page.getByTestId(pane).getByTestId('result').innerText();
  const order = [...(await printed('pane-raw')).matchAll(/n: (\d+)/g)].map((m) => Number(m[1]));
  assert.deepEqual(order, Array.from({ length: 18 }, (_, i) => i), `raw pane: ${await printed('pane-raw')}`);
  const mongooseOrder = [...(await printed('pane-mongoose')).matchAll(/n: (\d+)/g)].map((m) => Number(m[1]));
  assert.deepEqual(mongooseOrder, order, 'the Mongoose pane too');
  await screenshot(page, 'live-object-id-order');
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});

test('?deterministic stays as a test aid: reproducible ObjectIds and a fixed clock', async () => {
  const { context, page, errors } = await openPage(env.browser, `${env.server.url}?deterministic`, { width: 1280, height: 900 });
  await ready(page);
  const panes = await runAndRead(page, 'db.fixed.insertOne({ at: new Date() })');
  assert.match(panes.raw, /insertedId: ObjectId\('65920080[0-9a-f]{16}'\)/, 'timestamp 2024-01-01');
  const found = await runAndRead(page, 'db.fixed.findOne()');
  assert.match(found.raw, /at: ISODate\('2024-01-01T00:00:00/);
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});
