// Toolbar and pane features end to end: the lecture's create in both panes, explain (COLLSCAN vs IXSCAN), the SQL
// bridge, share links (good and broken), redo after undo, and the dark theme.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveAndLaunch, openPage, screenshot, ready, run } from '../harness.mjs';

const env = serveAndLaunch();

const MODEL = `const mongoose = require("mongoose")
const User = mongoose.model("User", new mongoose.Schema({ username: { type: String, unique: true }, age: Number }))`;

test('the lecture create: "42" and extra on the left, 42 without extra on the right; explain and SQL', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1440, height: 1000 });
  await ready(page);
  await page.getByTestId('intro').waitFor();
  await run(page, `${MODEL}\nUser.create({ username: "ada", age: "42", extra: 1 })`);
  await run(page, `db.users.find({})`);
  const left = await page.getByTestId('pane-raw').getByTestId('result').innerText();
  const right = await page.getByTestId('pane-mongoose').getByTestId('result').innerText();
  assert.match(left, /age: '42'/);
  assert.match(left, /extra: 1/);
  assert.match(right, /age: 42\b/);
  assert.doesNotMatch(right, /extra/);

  await run(page, `db.users.find({ username: "ada" })`);
  assert.match(await page.getByTestId('pane-raw').getByTestId('sql').innerText(), /SELECT \* FROM users WHERE username = 'ada';/);
  await page.getByTestId('pane-raw').getByTestId('explain').click();
  assert.match(await page.getByTestId('pane-raw').getByTestId('plan').innerText(), /^COLLSCAN: 0 key\(s\) and 1 document\(s\) examined, 1 returned/);
  await page.getByTestId('pane-mongoose').getByTestId('explain').click();
  assert.match(await page.getByTestId('pane-mongoose').getByTestId('plan').innerText(), /IXSCAN username_1: 1 key\(s\) and 1 document\(s\) examined, 1 returned/);
  await screenshot(page, 'toolbar-explain-sql');
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});

test('share links open a script ready to run; a broken link says so', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url);
  await ready(page);
  await page.getByTestId('editor').fill('db.links.insertOne({ shared: true })');
  await page.getByTestId('share').click();
  const url = page.url();
  assert.match(url, /#s=v1\./);
  const second = await context.newPage();
  await second.goto(url);
  await ready(second);
  assert.equal(await second.getByTestId('editor').inputValue(), 'db.links.insertOne({ shared: true })');
  await second.getByText('Opened a shared script').waitFor();
  await screenshot(second, 'toolbar-share-open');
  await second.goto(`${env.server.url}#s=v1.@@@`);
  await second.reload();
  await ready(second);
  await second.getByText('This share link is damaged').waitFor();
  await screenshot(second, 'toolbar-share-broken');
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});

test('undo then redo, in memory and on disk; dark theme', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url);
  await ready(page);
  await run(page, `db.notes.insertOne({ text: "one" })`);
  await run(page, `db.notes.deleteMany({})`);
  await page.getByTestId('undo').click();
  await page.getByText('Undone:').waitFor();
  assert.match(await page.getByTestId('coll-test-notes').innerText(), /notes\s+1\s+1/);
  await page.getByTestId('redo').click();
  await page.getByText('Redone:').waitFor();
  assert.match(await page.getByTestId('coll-test-notes').innerText(), /notes\s+0\s+0/);
  await page.reload();
  await ready(page);
  assert.match(await page.getByTestId('coll-test-notes').innerText(), /notes\s+0\s+0/);
  await page.getByTestId('theme').click();
  assert.equal(await page.locator('html').getAttribute('data-theme'), 'dark');
  await run(page, `db.notes.insertOne({ text: "in the dark" })`);
  await screenshot(page, 'toolbar-dark');
  await page.reload();
  await ready(page);
  assert.equal(await page.locator('html').getAttribute('data-theme'), 'dark', 'the theme is remembered');
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});

test('export as Extended JSON and a mongosh script, import checked first and applied all or nothing', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1280, height: 900 });
  await ready(page);
  await run(page, `${MODEL}\nUser.create({ username: "ada", age: "36" })`);
  await page.getByTestId('data').click();
  await page.getByTestId('export-canonical').click();
  const canonical = await page.getByTestId('export-text').inputValue();
  assert.match(canonical, /"format": "crudlab-export"/);
  assert.match(canonical, /"\$numberInt": "36"/);
  await page.getByTestId('export-script').click();
  assert.match(await page.getByTestId('export-text').inputValue(), /db\.getCollection\('users'\)\.insertMany\(/);
  assert.equal(await page.getByTestId('download').getAttribute('download'), 'crudlab-export.mongosh.js');
  await screenshot(page, 'toolbar-export');

  // A bad import is refused with where and why; nothing changes.
  await page.getByTestId('import-text').fill('[{ "_id": 7, "username": "zoe" }, { "_id": 7, "username": "yan" }]');
  await page.getByTestId('import-collection').fill('users');
  await page.getByTestId('import-check').click();
  assert.match(await page.getByTestId('import-error').innerText(), /test\.users, document 2: E11000 duplicate key: _id 7 is also document 1/);
  // A good one says what it will do, then does it in one transaction.
  await page.getByTestId('import-text').fill('[{ "_id": 7, "username": "zoe", "age": 30 }, { "_id": 8, "username": "yan" }]');
  await page.getByTestId('import-check').click();
  assert.match(await page.getByTestId('import-plan').innerText(), /test\.users: 2 added, 0 replaced/);
  await page.getByTestId('import-apply').click();
  await page.getByText('Imported into crudlab-mongoose').waitFor();
  await screenshot(page, 'toolbar-import');
  await page.getByTestId('data-close').click();
  assert.match(await page.getByTestId('coll-test-users').innerText(), /users\s+1\s+3/);
  await page.reload();
  await ready(page);
  assert.match(await page.getByTestId('coll-test-users').innerText(), /users\s+1\s+3/, 'the import was persisted');
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});

test('the editor completes schema fields in a model call and shows an operator reference on hover', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1280, height: 900 });
  await ready(page);
  await run(page, MODEL);
  const editor = page.getByTestId('editor');
  await editor.fill('');
  await editor.pressSequentially('User.find({ us');
  await page.getByTestId('completion').waitFor();
  assert.match(await page.getByTestId('completion').innerText(), /username/);
  await editor.press('Tab');
  assert.equal(await editor.inputValue(), 'User.find({ username');
  await editor.fill('');
  await editor.pressSequentially('db.users.find({ us');
  assert.equal(await page.getByTestId('completion').count(), 0, 'the driver knows no schema: no field completion');
  await editor.fill('db.users.find({ age: { $elemMatch: { a: 1 } } })');
  const box = await page.locator('.editor-highlight .tok-operator').first().boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.getByTestId('operator-reference').waitFor({ timeout: 5000 });
  assert.match(await page.getByTestId('operator-reference').innerText(), /\$elemMatch/);
  await screenshot(page, 'editor-hover-reference');
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});
