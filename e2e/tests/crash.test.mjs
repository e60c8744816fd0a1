// A panic never kills the page silently: in a bundle built with the `crash-test` feature (never published),
// `crashForTest()` panics while a Run holds the playground, as the live-clock bug did. The banner must say what
// happened, name the statement, say the data is safe, keep the app underneath out of reach, and Reload must bring
// the student back with the editor's text and every stored document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveAndLaunch, openPage, screenshot, crashTestDistDir, ready } from '../harness.mjs';

const env = serveAndLaunch(crashTestDistDir);

test('a panic shows the crash banner; Reload brings back the code and the data', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1280, height: 900 });
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await ready(page);
  await page.getByTestId('editor').fill('db.users.insertMany([{ username: "ada" }, { username: "alan" }])');
  await page.getByTestId('editor').press('Control+Enter');
  await ready(page);
  assert.match(await page.getByTestId('pane-raw').innerText(), /insertedIds/);

  await page.getByTestId('editor').fill('db.users.countDocuments()\ncrashForTest()');
  await page.getByTestId('editor').press('Control+Enter');
  const banner = page.getByTestId('crash');
  await banner.waitFor({ timeout: 10000 });
  assert.equal(await banner.getAttribute('role'), 'alertdialog');
  const text = await banner.innerText();
  assert.match(text, /crudlab stopped working/);
  assert.match(text, /The data stored in this browser is safe/);
  const report = await page.getByTestId('crash-report').innerText();
  assert.match(report, /panic: .*a deliberate crash \(the crash-test feature/);
  assert.match(report, /while running: crashForTest\(\)/);
  assert.equal(await page.evaluate(() => document.activeElement?.dataset?.testid), 'crash-reload', 'Reload has focus');
  await screenshot(page, 'crash-banner');

  // The dead app is out of reach: clicking Run or typing reaches nothing, so nothing panics again.
  assert.equal(await page.locator('.app').evaluate((el) => el.closest('[inert]') !== null), true, 'the app is inert');
  await page.getByTestId('run').click({ force: true, timeout: 2000 }).catch(() => {});
  await page.keyboard.press('Control+Enter');
  await page.getByTestId('crash-copy').click();
  await page.getByText('Copied.').waitFor({ timeout: 5000 });
  assert.match(await page.evaluate(() => navigator.clipboard.readText()), /while running: crashForTest\(\)/);

  // What the console saw: the report once, the abort it causes, and nothing after.
  assert.equal(errors.filter((e) => /crudlab crashed: panic:/.test(e)).length, 1, errors.join('\n'));
  const unexpected = errors.filter((e) => !/crudlab crashed: panic:|RuntimeError: unreachable/.test(e));
  assert.deepEqual(unexpected, [], `other console errors: ${unexpected.join('\n')}`);

  errors.length = 0;
  await page.getByTestId('crash-reload').click();
  await ready(page);
  assert.equal(await page.getByTestId('crash').count(), 0);
  assert.equal(await page.getByTestId('editor').inputValue(), 'db.users.countDocuments()\ncrashForTest()');
  await page.getByText('crudlab reloaded after a crash').waitFor();
  await page.getByTestId('editor').fill('db.users.find({}, { _id: 0 })');
  await page.getByTestId('editor').press('Control+Enter');
  await ready(page);
  const found = await page.getByTestId('pane-raw').getByTestId('result').innerText();
  assert.match(found, /username: 'ada'[\s\S]*username: 'alan'/, 'the documents are still there');
  await screenshot(page, 'crash-reloaded');
  assert.deepEqual(errors, [], `console errors after the reload: ${errors.join('\n')}`);
  await context.close();
});
