// The playground end to end: one program runs in both worlds, each pane shows what reached the database, the data
// survives "Restart server" and a page reload (IndexedDB), undo reverts, and errors are located and explained.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveAndLaunch, openPage, screenshot } from '../harness.mjs';

const env = serveAndLaunch();

/** Replaces the editor's text and runs it with Ctrl+Enter; waits until the app is ready again. */
async function run(page, code) {
  const editor = page.getByTestId('editor');
  await editor.fill(code);
  await editor.press('Control+Enter');
  await page.locator('.app[data-phase="ready"]').waitFor({ timeout: 15000 });
}

const MODEL = `const mongoose = require("mongoose")
const userSchema = new mongoose.Schema({
  username: { type: String, required: true, unique: true },
  age: Number,
  premium: { type: Boolean, default: false },
})
const User = mongoose.model("User", userSchema)`;

test('one command, two worlds: the driver stores what it gets, Mongoose casts, strips and defaults', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1440, height: 1000 });
  await page.locator('.app[data-phase="ready"]').waitFor({ timeout: 20000 });
  await run(page, `${MODEL}\nawait User.create({ username: "ada", age: "36", hacker: true })`);
  const raw = page.getByTestId('pane-raw');
  const mongoose = page.getByTestId('pane-mongoose');
  assert.match(await raw.getByTestId('driver-call').last().innerText(), /age: '36', hacker: true/);
  const sent = await mongoose.getByTestId('driver-call').last().innerText();
  assert.match(sent, /age: 36/);
  assert.doesNotMatch(sent, /hacker/);
  assert.match(sent, /premium: false/);
  const trace = await mongoose.getByTestId('trace').innerText();
  assert.match(trace, /cast age: '36' \(string\) -> 36 \(number\)/);
  assert.match(trace, /dropped hacker = true/);
  assert.match(await page.getByTestId('coll-test-users').innerText(), /users\s+1\s+1/);
  assert.match(await page.getByTestId('model-User').innerText(), /username: String\s*required\s*unique/);
  await screenshot(page, 'playground-create');

  await run(page, `User.create({ age: -1 })`);
  assert.match(await mongoose.getByTestId('error').innerText(), /ValidationError: User validation failed: username: Path `username` is required\./);
  assert.equal(await raw.getByTestId('error').count(), 0, 'the driver stores it anyway');
  await screenshot(page, 'playground-validation-error');

  await run(page, `User.create({ username: "bob" `);
  const parseError = await page.getByTestId('parse-error').innerText();
  assert.match(parseError, /SyntaxError at 1:13 this `{` is never closed/);
  assert.equal(await page.locator('.error-underline').count() > 0, true);
  await screenshot(page, 'playground-parse-error');
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});

test('data survives a server restart and a reload; variables do not; undo reverts', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1280, height: 900 });
  await page.locator('.app[data-phase="ready"]').waitFor({ timeout: 20000 });
  await run(page, `${MODEL}\nconst ada = await User.create({ username: "ada" })`);
  await page.getByTestId('restart').click();
  await page.getByTestId('notices').waitFor();
  const log = await page.getByTestId('notices').innerText();
  assert.match(log, /Lost with the server's memory: variables ada/);
  assert.match(log, /test\.users \(1\)/);
  await screenshot(page, 'playground-restart');
  await run(page, `ada._id`);
  assert.match(await page.getByTestId('pane-mongoose').getByTestId('error').innerText(), /ReferenceError: ada is not defined/);
  await run(page, `User.countDocuments()`);
  assert.equal((await page.getByTestId('pane-mongoose').getByTestId('result').innerText()).trim(), '1');

  await page.reload();
  await page.locator('.app[data-phase="ready"]').waitFor({ timeout: 20000 });
  await run(page, `User.find({}, "username")`);
  assert.match(await page.getByTestId('pane-mongoose').getByTestId('result').innerText(), /username: 'ada'/);
  await run(page, `User.deleteMany({})`);
  assert.match(await page.getByTestId('coll-test-users').innerText(), /users\s+0\s+0/);
  await page.getByTestId('undo').click();
  await page.getByText('Undone:').waitFor();
  assert.match(await page.getByTestId('coll-test-users').innerText(), /users\s+1\s+1/);
  await page.reload();
  await page.locator('.app[data-phase="ready"]').waitFor({ timeout: 20000 });
  assert.match(await page.getByTestId('coll-test-users').innerText(), /users\s+1\s+1/, 'the undo was persisted');
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});

test('a strict switch re-runs the last command under the new option', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1280, height: 900 });
  await page.locator('.app[data-phase="ready"]').waitFor({ timeout: 20000 });
  await run(page, `${MODEL}\nUser.create({ username: "cy", nickname: "c" })`);
  await page.getByTestId('strict-User-throw').click();
  await page.locator('.app[data-phase="ready"]').waitFor();
  await page.getByTestId('pane-mongoose').getByText('StrictModeError').waitFor({ timeout: 10000 });
  await screenshot(page, 'playground-strict-throw');
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});

test('references are links to the referenced documents; dangling ones are marked; populate shows its extra query', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1440, height: 1000 });
  await page.locator('.app[data-phase="ready"]').waitFor({ timeout: 20000 });
  await run(page, `const mongoose = require("mongoose")
const Course = mongoose.model("Course", new mongoose.Schema({ title: String }))
const User = mongoose.model("User", new mongoose.Schema({ username: String, purchasedCourses: [{ type: mongoose.Schema.Types.ObjectId, ref: "Course" }] }))
const c = await Course.create({ title: "Databases" })
await User.create({ username: "ada", purchasedCourses: [c._id, "659200800000000009999999"] })`);
  await run(page, `User.findOne({ username: "ada" })`);
  const refs = page.getByTestId('pane-mongoose').getByTestId('references');
  assert.match(await refs.innerText(), /purchasedCourses\.0 → test\.courses/);
  assert.match(await refs.getByTestId('dangling').innerText(), /dangling: no such document/);
  await refs.locator('summary').first().click();
  assert.match(await refs.innerText(), /title: 'Databases'/);
  await run(page, `User.findOne({ username: "ada" }).populate("purchasedCourses")`);
  const calls = await page.getByTestId('pane-mongoose').getByTestId('driver-call').allInnerTexts();
  assert.ok(calls.some((c) => /db\.courses\.find\(\{ _id: \{ \$in:/.test(c)), calls.join('\n'));
  await screenshot(page, 'playground-populate');
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});

test('a reload in the middle of a large write keeps all of it or none of it', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url);
  await page.locator('.app[data-phase="ready"]').waitFor({ timeout: 20000 });
  const docs = Array.from({ length: 5000 }, (_, i) => `{ i: ${i}, tag: "t${i % 7}" }`).join(', ');
  await page.getByTestId('editor').fill(`db.big.insertMany([${docs}])`);
  await page.getByTestId('editor').press('Control+Enter');
  // Interrupt at once: the transaction either committed before the reload or never happened.
  await page.reload();
  await page.locator('.app[data-phase="ready"]').waitFor({ timeout: 20000 });
  const coll = page.getByTestId('coll-test-big');
  if (await coll.count()) {
    const counts = (await coll.innerText()).split(/\s+/).slice(1);
    for (const count of counts) {
      assert.ok(['5000', '0', '–'].includes(count), `a partial write survived: ${counts}`);
    }
  }
  // And a write that is allowed to finish is all there after a reload.
  await page.getByTestId('editor').fill(`db.big.deleteMany({})\ndb.big.insertMany([${docs}])`);
  await page.getByTestId('editor').press('Control+Enter');
  await page.locator('.app[data-phase="ready"]').waitFor({ timeout: 20000 });
  await page.reload();
  await page.locator('.app[data-phase="ready"]').waitFor({ timeout: 20000 });
  assert.match(await page.getByTestId('coll-test-big').innerText(), /big\s+5000\s+5000/);
  await page.getByTestId('editor').fill(`db.big.find({ tag: "t3" })`);
  await page.getByTestId('editor').press('Control+Enter');
  await page.locator('.app[data-phase="ready"]').waitFor({ timeout: 20000 });
  // 714 matches: the pane prints mongosh's first batch of 20, not all of them, so the page does not freeze.
  const printed = await page.getByTestId('pane-raw').getByTestId('result').innerText();
  assert.match(printed, /i: 136, tag: 't3' \}\n\]\nType "it" for more$/);
  assert.equal((printed.match(/ObjectId/g) ?? []).length, 20);
  await screenshot(page, 'playground-large-result');
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});

test('a long result prints 20 documents and "it" shows the next batch, as mongosh does', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1280, height: 900 });
  await page.locator('.app[data-phase="ready"]').waitFor({ timeout: 20000 });
  const items = Array.from({ length: 25 }, (_, i) => `{ i: ${i} }`).join(', ');
  await run(page, `db.items.insertMany([${items}])`);
  await run(page, 'db.items.find({}, { _id: 0 })');
  const first = await page.getByTestId('pane-raw').getByTestId('result').innerText();
  assert.match(first, /\{ i: 19 \}/);
  assert.doesNotMatch(first, /\{ i: 20 \}/);
  assert.match(first, /Type "it" for more/);
  await run(page, 'it');
  const second = await page.getByTestId('pane-raw').getByTestId('result').innerText();
  assert.match(second, /\{ i: 20 \}[\s\S]*\{ i: 24 \}/);
  assert.doesNotMatch(second, /Type "it" for more/);
  assert.match(await page.getByTestId('pane-mongoose').getByTestId('result').innerText(), /\{ i: 24 \}/);
  await screenshot(page, 'it-next-batch');
  await run(page, 'it');
  assert.match(await page.getByTestId('pane-raw').innerText(), /no cursor/);
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});

test('runValidators: the switch makes an update run the schema validators, in the trace and the error', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1440, height: 1000 });
  await page.locator('.app[data-phase="ready"]').waitFor({ timeout: 20000 });
  const schema = `const mongoose = require("mongoose")
const Person = mongoose.model("Person", new mongoose.Schema({ name: String, age: { type: Number, min: 0 } }))
await Person.create({ name: "ada", age: 36 })`;
  await run(page, schema);
  const raw = page.getByTestId('pane-raw');
  const mongoose = page.getByTestId('pane-mongoose');
  await run(page, `Person.updateOne({ name: "ada" }, { $set: { age: -5 } })`);
  assert.equal(await mongoose.getByTestId('error').count(), 0, 'without runValidators Mongoose sends the update');
  await page.getByTestId('validators-Person').check();
  await page.locator('.app[data-phase="ready"]').waitFor({ timeout: 15000 });
  await run(page, `Person.updateOne({ name: "ada" }, { $set: { age: -7 } })`);
  assert.match(
    await mongoose.getByTestId('error').innerText(),
    /ValidationError: Validation failed: age: Path `age` \(-7\) is less than minimum allowed value \(0\)\./,
  );
  assert.match(await mongoose.getByTestId('trace').innerText(), /age/);
  assert.equal(await raw.getByTestId('error').count(), 0, 'the driver has no validators: it updates');
  await screenshot(page, 'playground-run-validators');
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});

test('a single nested subdocument is cast, defaulted and validated with its full path', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1440, height: 1000 });
  await page.locator('.app[data-phase="ready"]').waitFor({ timeout: 20000 });
  await run(page, `const mongoose = require("mongoose")
const Profile = mongoose.model("Profile", new mongoose.Schema({
  handle: String,
  stats: { type: { followers: { type: Number, default: 0, min: 0 }, verified: { type: Boolean, default: false } } },
}))
await Profile.create({ handle: "ada", stats: { followers: "10" } })`);
  const raw = page.getByTestId('pane-raw');
  const mongoose = page.getByTestId('pane-mongoose');
  const sent = await mongoose.getByTestId('driver-call').last().innerText();
  assert.match(sent, /stats: \{ followers: 10, verified: false, _id: ObjectId\('[0-9a-f]{24}'\) \}/);
  assert.match(await raw.getByTestId('driver-call').last().innerText(), /stats: \{ followers: '10' \}/);
  await run(page, `await Profile.create({ handle: "bob", stats: { followers: -1 } })`);
  assert.match(
    await mongoose.getByTestId('error').innerText(),
    /ValidationError: Profile validation failed: stats\.followers: Path `followers` \(-1\) is less than minimum allowed value \(0\)\./,
  );
  await screenshot(page, 'playground-nested-subdocument');
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});
