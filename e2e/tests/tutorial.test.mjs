// The code students copy from the next Mongoose tutorial, in a page opened as a student opens it (no query
// string): new Model() + save(), a field changed and saved again (only the change is sent), a pre('save') hook and
// a custom validator, a loop over find() results with a template literal, and a runaway loop that stops with a
// located error while the page stays alive and the data unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveAndLaunch, openPage, screenshot, ready, runAndRead } from '../harness.mjs';

const env = serveAndLaunch();

test('a Mongoose tutorial: new, save, modify, save, hooks, validators and loops, live', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1440, height: 1000 });
  assert.equal(new URL(page.url()).search, '', 'no query string: the live generator');
  await ready(page);
  let panes = await runAndRead(page, `const mongoose = require("mongoose")
const userSchema = new mongoose.Schema({
  email: { type: String, required: true, validate: { validator: (v) => v.includes("@"), message: (p) => p.value + " is not an email" } },
  name: String,
  logins: { type: Number, default: 0 },
})
userSchema.pre("save", async function countLogin() { this.logins += 1 })
const User = mongoose.model("User", userSchema)`);
  assert.doesNotMatch(panes.mongoose, /Error/, panes.mongoose);

  panes = await runAndRead(page, `const user = new User({ email: "x@y", name: "n" })
await user.save()`);
  assert.doesNotMatch(panes.mongoose, /Error/, panes.mongoose);
  assert.match(panes.mongoose, /pre\('save'\) hook `countLogin` ran/);
  assert.match(panes.mongoose, /insertOne\(\{ email: 'x@y', name: 'n', logins: 1, _id: ObjectId\('[0-9a-f]{24}'\), __v: 0 \}\)/);
  assert.match(panes.raw, /runs here as db\.users\.insertOne/, 'the driver pane sends what save() amounts to');
  assert.match(panes.raw, /insertOne\(\{ _id: ObjectId\('[0-9a-f]{24}'\), email: 'x@y', name: 'n' \}\)/);

  panes = await runAndRead(page, `user.name = "m"
await user.save()`);
  assert.match(panes.mongoose, /updateOne\(\{ _id: ObjectId\('[0-9a-f]{24}'\) \}, \{ \$set: \{ name: 'm', logins: 2 \} \}\)/);
  assert.match(panes.raw, /updateOne\(\{ _id: ObjectId\('[0-9a-f]{24}'\) \}, \{ \$set: \{ name: 'm' \} \}\)/);
  await screenshot(page, 'tutorial-save-delta');

  panes = await runAndRead(page, 'await new User({ email: "nope" }).save()');
  assert.match(panes.mongoose, /ValidationError: User validation failed: email: nope is not an email/);
  assert.match(panes.raw, /insertOne/, 'the driver stores whatever it gets');

  panes = await runAndRead(page, 'for (const u of await User.find()) { console.log(`${u.email}: ${u.logins ?? "no"} logins`) }');
  assert.match(panes.mongoose, /x@y: 2 logins/);
  assert.match(panes.raw, /x@y: no logins/);
  assert.match(panes.raw, /nope: no logins/);

  const started = Date.now();
  panes = await runAndRead(page, 'let n = 0\nwhile (true) { await User.create({ email: `spam${n++}@x` }) }');
  assert.ok(Date.now() - started < 20000, 'the runaway loop stopped within seconds');
  assert.match(panes.mongoose, /StepLimitError/);
  assert.match(panes.mongoose, /The loop at line 2 never ended/);
  await screenshot(page, 'tutorial-runaway-loop');
  panes = await runAndRead(page, 'await User.countDocuments()');
  assert.match(await page.getByTestId('pane-mongoose').getByTestId('result').innerText(), /^1$/, 'nothing the loop wrote was kept');
  assert.match(await page.getByTestId('pane-raw').getByTestId('result').innerText(), /^2$/);
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});
