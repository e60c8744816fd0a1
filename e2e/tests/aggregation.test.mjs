// Aggregation in a page opened as a student opens it (live ids and clock): the strip of stage previews (click a
// stage to see its output; edit and re-run stays on it), a failed stage named and underlined in the editor, the
// not-cast pitfall traced in the Mongoose pane, $lookup beside populate with the database calls counted, the
// collection's real schema opened as a pipeline, and an $out persisted and undone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveAndLaunch, openPage, screenshot, ready, run } from '../harness.mjs';

const env = serveAndLaunch();

const SEED = `const mongoose = require("mongoose")
const Course = mongoose.model("Course", new mongoose.Schema({ title: String, price: Number }))
const User = mongoose.model("User", new mongoose.Schema({
  username: String, city: String, age: Number,
  purchasedCourses: [{ type: mongoose.Schema.Types.ObjectId, ref: "Course" }]
}))
const db1 = await Course.create({ title: "Databases", price: 49 })
const rust = await Course.create({ title: "Rust", price: 39 })
await User.create({ username: "ada", city: "London", age: 36, purchasedCourses: [db1._id, rust._id] })
await User.create({ username: "bob", city: "Paris", age: 25, purchasedCourses: [db1._id] })
await User.create({ username: "cy", city: "London", age: 41 })`;

test('the stage strip: previews, a click, a re-run that stays, a failed stage underlined', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1440, height: 1000 });
  assert.equal(new URL(page.url()).search, '', 'no query string: the live generator');
  await ready(page);
  await run(page, SEED);
  assert.doesNotMatch(await page.getByTestId('pane-mongoose').innerText(), /Error/);

  const pipeline = (limit) => `db.users.aggregate([
  { $match: { age: { $gt: 20 } } },
  { $group: { _id: "$city", people: { $sum: 1 } } },
  { $sort: { people: -1 } },
  { $limit: ${limit} }
])`;
  await run(page, pipeline(5));
  const raw = page.getByTestId('pane-raw');
  const stages = raw.getByTestId('stage');
  assert.deepEqual(
    (await stages.allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim()),
    ['1 $match 3 documents', '2 $group 2 documents', '3 $sort 2 documents', '4 $limit 2 documents'],
  );
  // The last stage is open by default; clicking the first shows what $match let through.
  assert.match(await raw.getByTestId('stage-output').innerText(), /After stage 4 \(\$limit\)/);
  await stages.nth(0).click();
  let output = await raw.getByTestId('stage-output').innerText();
  assert.match(output, /After stage 1 \(\$match\): 3 documents/);
  assert.match(output, /username: 'ada'/);
  assert.match(output, /ObjectId\('[0-9a-f]{24}'\)/, 'live ids');
  await screenshot(page, 'aggregation-stage-strip');

  // Editing the pipeline and re-running keeps the strip on the stage the student was looking at.
  await run(page, pipeline(1));
  output = await raw.getByTestId('stage-output').innerText();
  assert.match(output, /After stage 1 \(\$match\)/);
  assert.match((await stages.allInnerTexts())[3].replace(/\s+/g, ' '), /\$limit 1 document/);
  // Both panes have their strip (the Mongoose pane runs the mirrored db call).
  assert.equal(await page.getByTestId('pane-mongoose').getByTestId('stage').count(), 4);

  // Explain: a leading $match scans the collection until an index on its field exists.
  await raw.getByTestId('explain').click();
  assert.match(await raw.getByTestId('plan').innerText(), /^\$limit → \$sort → \$group → COLLSCAN: 0 key\(s\) and 3 document\(s\) examined, 1 returned/);
  await run(page, 'db.users.createIndex({ age: 1 })');
  await run(page, pipeline(1));
  await raw.getByTestId('explain').click();
  assert.match(await raw.getByTestId('plan').innerText(), /^\$limit → \$sort → \$group → FETCH → IXSCAN age_1: 3 key\(s\) and 3 document\(s\) examined, 1 returned/);
  await screenshot(page, 'aggregation-explain');

  // Completion and the hover reference know the stages, accumulators and expressions (the engine's tables).
  const editor = page.getByTestId('editor');
  await editor.fill('');
  await editor.pressSequentially('db.users.aggregate([{ $gr');
  await page.getByTestId('completion').waitFor();
  assert.match(await page.getByTestId('completion').innerText(), /\$group/);
  await editor.press('Tab');
  assert.equal(await editor.inputValue(), 'db.users.aggregate([{ $group');
  await editor.fill('db.users.aggregate([{ $group: { _id: "$city", n: { $avg: "$age" } } }])');
  const avg = page.locator('.editor-highlight .tok-operator', { hasText: '$avg' }).first();
  const box = await avg.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.getByTestId('operator-reference').waitFor({ timeout: 5000 });
  assert.match(await page.getByTestId('operator-reference').innerText(), /\$avg \(accumulator\)/);

  // A bad stage: named in the error, underlined in the editor; the stages are marked.
  await run(page, 'db.users.aggregate([{ $match: {} }, { $group: { people: { $sum: 1 } } }])');
  const error = await raw.getByTestId('error').innerText();
  assert.match(error, /a group specification must include an _id/);
  assert.match(error, /in stage 2 of 2 \(\$group\), line 1, column 37/);
  assert.equal(await page.locator('.editor-highlight .error-underline').allInnerTexts().then((t) => t.join('')),
    '{ $group: { people: { $sum: 1 } } }');
  assert.deepEqual(
    (await stages.allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim()),
    ['1 $match not run', '2 $group failed'],
  );
  await screenshot(page, 'aggregation-failed-stage');
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});

test('an $out is a write: persisted, and undone by Undo', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1440, height: 1000 });
  await ready(page);
  await run(page, 'db.sales.insertMany([{ city: "London", total: 5 }, { city: "Paris", total: 7 }, { city: "London", total: 1 }])');
  await run(page, 'db.sales.aggregate([{ $group: { _id: "$city", total: { $sum: "$total" } } }, { $out: "totals" }])');
  assert.match(await page.getByTestId('coll-test-totals').innerText(), /totals\s+2\s+2/);
  await page.reload();
  await ready(page);
  assert.match(await page.getByTestId('coll-test-totals').innerText(), /totals\s+2\s+2/, 'persisted in IndexedDB');
  // Undo's history is the page's own: run the $out again in this page, then undo it.
  await run(page, 'db.sales.aggregate([{ $match: { city: "Paris" } }, { $out: "totals" }])');
  assert.match(await page.getByTestId('coll-test-totals').innerText(), /totals\s+1\s+1/, '$out replaced the collection');
  await page.getByTestId('undo').click();
  await page.getByText('Undone:').waitFor();
  assert.match(await page.getByTestId('coll-test-totals').innerText(), /totals\s+2\s+2/, 'the replaced documents are back');
  await run(page, 'db.totals.find({}, { _id: 1 }).sort({ _id: 1 })');
  assert.match(await page.getByTestId('pane-raw').getByTestId('result').innerText(), /London[\s\S]*Paris/);
  await page.reload();
  await ready(page);
  assert.match(await page.getByTestId('coll-test-totals').innerText(), /totals\s+2\s+2/, 'the undo is on disk too');
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});

test('the real schema of a collection, opened as a pipeline and run', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1440, height: 1000 });
  await ready(page);
  await run(page, `const mongoose = require("mongoose")
const User = mongoose.model("User", new mongoose.Schema({ username: String, age: Number }))
await db.users.insertMany([{ username: "ada", age: 36 }, { username: "bob", age: "25" }, { username: "cy", age: 41 }, { username: "di" }])`);
  await page.getByTestId('coll-test-users').getByTestId('schema-open').click();
  const dialog = page.getByTestId('schema-dialog');
  await dialog.waitFor();
  const left = await dialog.getByTestId('schema-raw').innerText();
  assert.match(left, /4 document\(s\)/);
  assert.match(left, /age\s+int in 2 of 4, string in 1 of 4, missing in 1 of 4/);
  // The Mongoose world received the same insertMany through the mirror: cast to numbers by the schema.
  assert.match(await dialog.getByTestId('schema-mongoose').innerText(), /age\s+int in 3 of 4, missing in 1 of 4/);
  await screenshot(page, 'aggregation-schema-view');
  await dialog.getByTestId('schema-open-command').click();
  assert.equal(await page.getByTestId('schema-dialog').count(), 0);
  const command = await page.getByTestId('editor').inputValue();
  assert.match(command, /^db\.users\.aggregate\(\[\n\s+\{ \$project: \{ _id: 0, field: \{ \$objectToArray: '\$\$ROOT' \} \} \}/);
  await run(page);
  const result = await page.getByTestId('pane-raw').getByTestId('result').innerText();
  assert.match(result, /_id: \{ field: 'age', type: 'string' \}, count: 1/);
  assert.equal(await page.getByTestId('pane-raw').getByTestId('stage').count(), 4);
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});

test('lesson 9: $lookup beside populate counted in calls, and the not-cast pitfall fixed', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1440, height: 1100 });
  page.on('dialog', (dialog) => dialog.accept());
  await ready(page);
  await page.getByTestId('lesson-09-the-database-computes').getByRole('button').click();
  await page.getByTestId('step-title').waitFor();
  await ready(page);
  assert.match(await page.getByTestId('step-title').innerText(), /Step 1 of 5: Count posts per author/);
  await run(page, 'Post.aggregate([{ $group: { _id: "$author", posts: { $sum: 1 } } }, { $sort: { posts: -1 } }])');
  assert.match(await page.getByTestId('check').innerText(), /Step done/);

  for (let i = 0; i < 3; i++) await page.getByTestId('next-step').click();
  assert.match(await page.getByTestId('step-title').innerText(), /Step 4 of 5: Join in the database/);
  await run(page); // the starter: populate
  const mongoose = page.getByTestId('pane-mongoose');
  assert.equal((await mongoose.getByTestId('call-count').innerText()).toLowerCase(), '2 database calls');
  assert.match(await page.getByTestId('check').innerText(), /Not yet/);
  await run(page, `User.aggregate([
  { $match: { username: "ada" } },
  { $lookup: { from: "courses", localField: "purchasedCourses", foreignField: "_id", as: "courses" } }
])`);
  assert.equal((await mongoose.getByTestId('call-count').innerText()).toLowerCase(), '1 database call');
  assert.match(await mongoose.getByTestId('result').innerText(), /title: 'Databases'[\s\S]*title: 'Rust'/);
  assert.match(await page.getByTestId('check').innerText(), /Step done/);
  await screenshot(page, 'aggregation-lookup');

  await page.getByTestId('next-step').click();
  assert.match(await page.getByTestId('step-title').innerText(), /The pitfall/);
  await run(page); // the starter: a string id in $match
  assert.match(await page.getByTestId('check').innerText(), /Not yet/);
  assert.match(await mongoose.innerText(), /not cast: \$match _id sent as '[0-9a-f]{24}' \(string\); find\(\) would cast it to new ObjectId\('[0-9a-f]{24}'\) \(ObjectId\)/);
  assert.match(await mongoose.getByTestId('result').last().innerText(), /^\[\]$/);
  await screenshot(page, 'aggregation-pitfall');
  await run(page, `const id = (await User.findOne({ username: "ada" }))._id.toString()
User.aggregate([{ $match: { _id: new mongoose.Types.ObjectId(id) } }])`);
  assert.match(await page.getByTestId('check').innerText(), /Step done/);
  assert.match(await mongoose.getByTestId('result').last().innerText(), /username: 'ada'/);
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});
