// Sparse and TTL indexes and documents as JSON, in a page opened as a student opens it (no query string, the live
// clock): a unique sparse index lets several sessions lack an email, getIndexes() shows the options, the TTL
// monitor removes a session once its date is older than expireAfterSeconds (before the next Run, said in the
// pane) and Undo brings it back; JSON.stringify of a document uses the schema's toJSON options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveAndLaunch, openPage, screenshot, ready, runAndRead } from '../harness.mjs';

const env = serveAndLaunch();

test('sparse and TTL indexes, the TTL monitor and toJSON, live', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1440, height: 1000 });
  assert.equal(new URL(page.url()).search, '', 'no query string: the live clock');
  await ready(page);
  let panes = await runAndRead(page, `const mongoose = require("mongoose")
const sessionSchema = new mongoose.Schema(
  { user: String, email: { type: String, unique: true, sparse: true }, createdAt: { type: Date, expires: 2 } },
  { toJSON: { virtuals: true, versionKey: false } })
sessionSchema.virtual("label").get(function () { return "session of " + this.user })
const Session = mongoose.model("Session", sessionSchema)
await Session.create({ user: "ada", createdAt: new Date() })
await Session.create({ user: "grace", createdAt: new Date() })
await Session.create({ user: "alan" })`);
  assert.doesNotMatch(panes.mongoose, /Error/, 'two sessions without an email fit a unique sparse index');

  panes = await runAndRead(page, 'db.sessions.getIndexes()');
  assert.match(panes.mongoose, /name: 'email_1',\s+unique: true,\s+sparse: true/);
  assert.match(panes.mongoose, /name: 'createdAt_1',\s+expireAfterSeconds: 2/);
  await screenshot(page, 'indexes-sparse-and-ttl');

  panes = await runAndRead(page, 'JSON.stringify(await Session.findOne({ user: "alan" }))');
  const json = await page.getByTestId('pane-mongoose').getByTestId('result').innerText();
  assert.match(json, /^'\{"_id":"([0-9a-f]{24})","user":"alan","label":"session of alan","id":"\1"\}'$/, 'virtuals, id, no __v');

  // The dated sessions expire two seconds after they were made; the next Run starts with the TTL monitor.
  await page.waitForTimeout(3000);
  panes = await runAndRead(page, 'await Session.countDocuments()');
  assert.match(panes.mongoose, /TTL monitor removed 2 document\(s\) from db\.sessions \(expireAfterSeconds 2\)/);
  assert.match(panes.raw, /nothing expired here: no TTL index removed a document in this world/, 'no schema, no TTL index');
  assert.match(await page.getByTestId('pane-mongoose').getByTestId('result').last().innerText(), /^1$/, 'alan has no date: never expires');
  assert.match(await page.getByTestId('pane-raw').getByTestId('result').last().innerText(), /^3$/);
  await screenshot(page, 'indexes-ttl-monitor');
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});
