// Guided lessons end to end: start lesson 1 from the first screen, pass its steps (including "Restart server"),
// see hints and the check status, keep progress across a reload, and follow an error's link to its lesson.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveAndLaunch, openPage, screenshot, ready, run } from '../harness.mjs';

const env = serveAndLaunch();

test('lesson 1 from the first screen to done, with a restart and a reload', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1440, height: 1000 });
  page.on('dialog', (dialog) => dialog.accept());
  await ready(page);
  await page.getByTestId('start-first-lesson').click();
  await page.getByTestId('step-title').waitFor();
  await page.getByTestId('step-title').waitFor();
  assert.match(await page.getByTestId('step-title').innerText(), /Step 1 of 3: Store a user/);
  assert.equal(await page.getByTestId('editor').inputValue(), 'const ada = await db.users.insertOne({ username: "" })');
  await run(page);
  assert.match(await page.getByTestId('check').innerText(), /Not yet/);
  await page.getByTestId('hint').click();
  assert.match(await page.getByTestId('lesson-panel').innerText(), /The username is empty/);
  await screenshot(page, 'lesson-step-1-not-yet');
  await run(page, 'const ada = await db.users.insertOne({ username: "ada" })');
  assert.match(await page.getByTestId('check').innerText(), /Step done/);

  await page.getByTestId('next-step').click();
  assert.match(await page.getByTestId('step-title').innerText(), /Restart the server/);
  await page.getByTestId('restart').click();
  await page.getByTestId('check').getByText('Step done').waitFor({ timeout: 10000 });
  await screenshot(page, 'lesson-step-2-restart');

  await page.reload();
  await ready(page);
  assert.match(await page.getByTestId('step-title').innerText(), /Step 2 of 3/, 'progress survives a reload');
  await page.getByTestId('next-step').click();
  await run(page, 'ada');
  assert.match(await page.getByTestId('check').innerText(), /Step done/);
  await page.getByTestId('lesson-close').click();
  await page.getByText('Back to the playground').first().waitFor();
  assert.match(await page.getByTestId('lesson-01-what-is-a-database').innerText(), /done/);
  await screenshot(page, 'lesson-list-done');
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});

test('an error links to the lesson that explains it', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1280, height: 900 });
  await ready(page);
  await run(page, `const mongoose = require("mongoose")
const User = mongoose.model("User", new mongoose.Schema({ username: { type: String, required: true } }))
User.create({})`);
  await page.getByTestId('pane-mongoose').getByText('Which lesson explains this').click();
  await page.getByTestId('lesson-05-schemaless-vs-strict').getByText('explains your error').waitFor();
  await screenshot(page, 'lesson-suggested-by-error');
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});

test('a lesson has its own data: the playground keeps its documents; lesson 5 completed by typing', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1440, height: 1000 });
  page.on('dialog', (dialog) => dialog.accept());
  await ready(page);
  await run(page, 'db.notes.insertOne({ text: "mine" })');
  await page.getByTestId('lesson-05-schemaless-vs-strict').getByRole('button').click();
  await page.getByTestId('step-title').waitFor();
  await ready(page);
  assert.equal(await page.getByTestId('coll-test-notes').count(), 0, 'the lesson works on its own data');
  const steps = (await page.getByTestId('step-title').innerText()).match(/of (\d+)/)[1];
  for (let i = 0; i < Number(steps); i += 1) {
    await page.getByTestId('solution').click();
    await run(page);
    await page.getByTestId('check').getByText('Step done').waitFor({ timeout: 10000 });
    if (i === 2) await screenshot(page, 'lesson-5-validation');
    if (i + 1 < Number(steps)) await page.getByTestId('next-step').click();
  }
  await page.getByTestId('lesson-close').click();
  await page.getByTestId('coll-test-notes').waitFor({ timeout: 10000 });
  assert.match(await page.getByTestId('coll-test-notes').innerText(), /notes\s+1\s+1/, 'the playground data is back');
  assert.match(await page.getByTestId('lesson-05-schemaless-vs-strict').innerText(), /done/);
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});

test('lesson 3: the browser is refused until the "Browser → database" switch is flipped', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1440, height: 1000 });
  page.on('dialog', (dialog) => dialog.accept());
  await ready(page);
  await page.getByTestId('lesson-03-why-a-server').getByRole('button').click();
  await page.getByTestId('step-title').waitFor();
  await ready(page);
  assert.equal(await page.getByTestId('access-server').getAttribute('aria-pressed'), 'true', 'the step opens through the server');
  // Step 1 through the server: the Express handler may reach the database, the request drawn as a lane.
  await page.getByTestId('solution').click();
  await run(page);
  await page.getByTestId('check').getByText('Step done').waitFor({ timeout: 10000 });
  const lane = (await page.getByTestId('pane-mongoose').getByTestId('lane').allInnerTexts())[0];
  assert.match(lane, /auth \(GET \/feed\)\s*→\s*next\(\)/);
  assert.match(lane, /db\.posts\.find/);
  await screenshot(page, 'lesson-3-feed-lane');
  await page.getByTestId('next-step').click();
  await page.getByTestId('next-step').click();
  assert.match(await page.getByTestId('step-title').innerText(), /Step 3 of \d+: What if the browser hit the database directly/);
  await page.getByTestId('load-starter').click();
  await run(page);
  const refused = await page.getByTestId('pane-raw').innerText();
  assert.match(refused, /The browser cannot reach the database: db\.posts\.deleteMany\(\.\.\.\) must run on the server/);
  assert.match(await page.getByTestId('check').innerText(), /Not yet/);
  assert.match(await page.getByTestId('coll-test-posts').innerText(), /posts\s+3\s+3/, 'nothing was deleted');
  await screenshot(page, 'lesson-3-refused');
  await page.getByTestId('access-direct').click();
  assert.equal(await page.getByTestId('access-direct').getAttribute('aria-pressed'), 'true');
  await run(page);
  await page.getByTestId('check').getByText('Step done').waitFor({ timeout: 10000 });
  assert.match(await page.getByTestId('pane-raw').innerText(), /deletedCount: 2/);
  await screenshot(page, 'lesson-3-direct');
  // The next step opens through the server again.
  await page.getByTestId('next-step').click();
  assert.equal(await page.getByTestId('access-server').getAttribute('aria-pressed'), 'true');
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});

test('every lesson can be completed in the browser with what the panel offers', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1440, height: 1000 });
  page.on('dialog', (dialog) => dialog.accept());
  await ready(page);
  const ids = await page.locator('[data-testid^="lesson-0"]').evaluateAll((items) => items.map((li) => li.dataset.testid));
  assert.ok(ids.length >= 8, `eight lessons or more, found ${ids.length}`);
  const done = async () => page.getByTestId('check').getByText('Step done').waitFor({ timeout: 4000 }).then(() => true, () => false);
  for (const id of ids) {
    await page.getByTestId(id).getByRole('button').click();
    await page.getByTestId('step-title').waitFor();
    await ready(page);
    const steps = Number((await page.getByTestId('step-title').innerText()).match(/of (\d+)/)[1]);
    for (let step = 0; step < steps; step += 1) {
      const title = await page.getByTestId('step-title').innerText();
      await page.getByTestId('solution').click();
      await run(page);
      if ((await page.getByTestId('check').innerText()).includes('Restart server')) {
        await page.getByTestId('restart').click();
      }
      let passed = await done();
      // A step whose solution needs the "Browser → database" switch flipped: the student flips it and runs again.
      if (!passed && (await page.getByTestId('access-direct').count()) > 0) {
        await page.getByTestId('access-direct').click();
        await run(page);
        passed = await done();
      }
      assert.ok(passed, `${id}, ${title}: ${await page.getByTestId('check').innerText()}`);
      if (step + 1 < steps) await page.getByTestId('next-step').click();
    }
    await page.getByTestId('lesson-close').click();
    await page.getByTestId(id).getByText('done').waitFor({ timeout: 10000 });
  }
  await screenshot(page, 'every-lesson-done');
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});
