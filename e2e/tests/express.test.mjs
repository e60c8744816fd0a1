// The request path the lecture draws, in a page opened as a student opens it: an Express app written in the
// editor, requests sent with fetch, each drawn as a lane (browser → Express → database → response) in both panes:
// the auth check's 401, the feed, the lecture's create command in a POST handler with a mass-assigned isAdmin
// (stored by the schemaless database, dropped by Mongoose), Express's own 404, and "Restart server" wiping the
// server's memory (a visit counter) while the database keeps everything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveAndLaunch, openPage, screenshot, ready, run } from '../harness.mjs';

const env = serveAndLaunch();

const SERVER = `const mongoose = require("mongoose")
const express = require("express")
const User = mongoose.model("User", new mongoose.Schema({ username: String, password: String }))
const Post = mongoose.model("Post", new mongoose.Schema({ author: String, text: String }))
const app = express()
app.use(express.json())
let visits = 0
function auth(req, res, next) {
  const token = req.headers.authorization
  if (!token) return res.status(401).json({ error: "log in first" })
  req.user = token.replace("Bearer ", "")
  next()
}
app.get("/feed", auth, async (req, res) => {
  visits++
  res.json({ visits, posts: await Post.find({ author: { $ne: req.user } }) })
})
app.post("/signup", async (req, res) => {
  const user = await User.create({ username: req.body.username, password: req.body.password, isAdmin: req.body.isAdmin })
  res.status(201).json({ id: user._id })
})
app.listen(3000)`;

async function lanes(page, pane) {
  return page.getByTestId(pane).getByTestId('lane').allInnerTexts();
}

test('an Express server in the editor: lanes, auth, mass assignment, 404 and a restart, live', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1440, height: 1100 });
  assert.equal(new URL(page.url()).search, '', 'no query string: the live generator');
  await ready(page);
  await run(page, SERVER);
  assert.doesNotMatch(await page.getByTestId('pane-mongoose').innerText(), /Error/);
  await run(page, 'await Post.create({ author: "bob", text: "hi ada" })');

  await run(page, 'const anonymous = await fetch("/feed")\nanonymous.status');
  let mongoose = await lanes(page, 'pane-mongoose');
  assert.equal(mongoose.length, 1);
  assert.match(mongoose[0], /GET \/feed/);
  assert.match(mongoose[0], /auth \(GET \/feed\)\s*→\s*answered 401/);
  assert.match(mongoose[0], /401 Unauthorized/);
  assert.match(mongoose[0], /log in first/);

  await run(page, 'await (await fetch("/feed", { headers: { Authorization: "Bearer ada" } })).json()');
  mongoose = await lanes(page, 'pane-mongoose');
  assert.match(mongoose[0], /auth \(GET \/feed\)\s*→\s*next\(\)/);
  assert.match(mongoose[0], /database: 1 call/i);
  assert.match(mongoose[0], /db\.posts\.find/);
  assert.match(mongoose[0], /200 OK/);
  assert.match(await page.getByTestId('pane-mongoose').getByTestId('result').innerText(), /visits: 1/);
  await screenshot(page, 'express-feed-lane');

  await run(page, `await fetch("/signup", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username: "ada", password: "x", isAdmin: true }) })
await User.findOne({ username: "ada" }).lean()`);
  const raw = await page.getByTestId('pane-raw').innerText();
  const strict = await page.getByTestId('pane-mongoose').innerText();
  assert.match(raw, /isAdmin: true/, 'the schemaless database stores the mass-assigned field');
  assert.doesNotMatch(strict.split('201 Created')[1] ?? strict, /isAdmin: true/, 'Mongoose dropped it');
  assert.match(strict, /dropped isAdmin/);
  assert.match((await lanes(page, 'pane-raw'))[0], /201 Created/);
  await screenshot(page, 'express-mass-assignment');

  await run(page, 'const nope = await fetch("/nope")\nnope.status');
  mongoose = await lanes(page, 'pane-mongoose');
  assert.match(mongoose[0], /no route matched GET \/nope/);
  assert.match(mongoose[0], /404 Not Found/);
  assert.match(mongoose[0], /Cannot GET \/nope/);

  // A handler that never ends is stopped by the step budget: its lane is marked failed, its write undone.
  await run(page, `app.get("/spin", async (req, res) => {
  await db.spins.insertOne({ at: 1 })
  while (true) {}
})
await fetch("/spin")`);
  mongoose = await lanes(page, 'pane-mongoose');
  assert.equal(mongoose.length, 1);
  assert.match(mongoose[0], /GET \/spin\s*→\s*stopped: it ran past the step budget/);
  assert.match(mongoose[0], /writes were undone/);
  assert.equal(await page.getByTestId('pane-mongoose').locator('.lane.failed').count(), 1);
  await screenshot(page, 'express-handler-stopped');
  await run(page, 'db.spins.countDocuments()');
  assert.equal((await page.getByTestId('pane-raw').getByTestId('result').innerText()).trim(), '0');

  // Restart server: the counter starts again, the routes and the data are still there.
  await page.getByTestId('restart').click();
  await page.getByTestId('notices').getByText('Server restarted').first().waitFor();
  await ready(page);
  await run(page, 'await (await fetch("/feed", { headers: { Authorization: "Bearer ada" } })).json()');
  const result = await page.getByTestId('pane-mongoose').getByTestId('result').innerText();
  assert.match(result, /visits: 1/, `the counter lived in the server's memory: ${result}`);
  assert.match(result, /hi ada/, 'the database kept the post');
  await screenshot(page, 'express-after-restart');
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});
