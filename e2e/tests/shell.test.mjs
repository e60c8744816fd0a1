// The app shell mounts from the release build: every test id is present, the panes are labelled, no console errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveAndLaunch, openPage, screenshot } from '../harness.mjs';

const env = serveAndLaunch();

test('the shell mounts with its test ids and labelled panes', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url);
  for (const id of ['editor', 'run', 'pane-raw', 'pane-mongoose', 'collections', 'restart', 'undo', 'reset']) {
    await page.getByTestId(id).waitFor({ state: 'visible', timeout: 15000 });
  }
  assert.match(await page.getByTestId('pane-raw').innerText(), /MongoDB driver \(schemaless\)/);
  assert.match(await page.getByTestId('pane-mongoose').innerText(), /Mongoose \(with schema\)/);
  assert.equal(await page.locator('h1').innerText(), 'crudlab');
  await screenshot(page, 'shell-1280x720');
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});

test('the shell is legible at 1920x1080', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1920, height: 1080 });
  await page.getByTestId('editor').waitFor({ state: 'visible', timeout: 15000 });
  const raw = await page.getByTestId('pane-raw').boundingBox();
  const mongoose = await page.getByTestId('pane-mongoose').boundingBox();
  assert.ok(raw && mongoose && raw.x < mongoose.x, 'the panes stand side by side, raw on the left');
  await screenshot(page, 'shell-1920x1080');
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});

test('keyboard only: reach the editor, run a command, open the first lesson', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url, { width: 1280, height: 720 });
  page.on('dialog', (dialog) => dialog.accept());
  await page.locator('.app[data-phase="ready"]').waitFor({ timeout: 20000 });
  const focused = () => page.evaluate(() => document.activeElement?.dataset?.testid ?? document.activeElement?.tagName);
  const tabTo = async (testid, key = 'Tab') => {
    for (let presses = 0; presses < 60; presses += 1) {
      if ((await focused()) === testid) return presses;
      await page.keyboard.press(key);
    }
    assert.fail(`${testid} cannot be reached with ${key} (focus is on ${await focused()})`);
  };
  await tabTo('editor');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('db.users.insertOne({ username: "ada" })');
  await page.keyboard.press('Control+Enter');
  await page.locator('.app[data-phase="ready"]').waitFor({ timeout: 20000 });
  assert.match(await page.getByTestId('pane-raw').innerText(), /insertedId/);
  await tabTo('undo', 'Shift+Tab');
  await page.keyboard.press('Enter');
  await page.locator('.app[data-phase="ready"]').waitFor({ timeout: 20000 });
  await screenshot(page, 'keyboard-only-undone');
  assert.doesNotMatch(await page.getByTestId('collections').innerText(), /users/, 'undo by keyboard');
  await tabTo('start-first-lesson');
  await page.keyboard.press('Enter');
  await page.getByTestId('step-title').waitFor({ timeout: 20000 });
  await tabTo('solution');
  await page.keyboard.press('Enter');
  await tabTo('editor', 'Shift+Tab');
  await page.keyboard.press('Control+Enter');
  await page.getByTestId('check').getByText('Step done').waitFor({ timeout: 10000 });
  await screenshot(page, 'keyboard-only');
  assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);
  await context.close();
});

test('the page runs under its Content-Security-Policy, which refuses injected scripts', async () => {
  const { context, page, errors } = await openPage(env.browser, env.server.url);
  await page.locator('.app[data-phase="ready"]').waitFor({ timeout: 20000 });
  const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  assert.match(policy, /default-src 'none'/);
  assert.match(policy, /script-src 'self' 'wasm-unsafe-eval' 'sha256-[A-Za-z0-9+/=]+'/);
  assert.doesNotMatch(policy, /unsafe-inline|'unsafe-eval'/);
  // What an attacker would try if text ever reached the DOM as HTML: an inline script and an inline handler.
  const violations = await page.evaluate(() => new Promise((resolve) => {
    const seen = [];
    document.addEventListener('securitypolicyviolation', (e) => seen.push(e.violatedDirective));
    const script = document.createElement('script');
    script.textContent = 'window.__injected = true';
    document.body.appendChild(script);
    const img = document.createElement('img');
    img.setAttribute('onerror', 'window.__handler = true');
    img.src = 'data:,not-an-image';
    document.body.appendChild(img);
    setTimeout(() => resolve({ seen, injected: window.__injected ?? false, handler: window.__handler ?? false }), 500);
  }));
  assert.equal(violations.injected, false, 'an injected inline script does not run');
  assert.equal(violations.handler, false, 'an injected inline event handler does not run');
  assert.ok(violations.seen.length >= 2, `violations reported: ${violations.seen.join(', ')}`);
  // The app itself works under the policy: a command runs and both panes answer.
  await page.getByTestId('editor').fill('db.users.insertOne({ username: "ada" })');
  await page.getByTestId('editor').press('Control+Enter');
  await page.locator('.app[data-phase="ready"]').waitFor({ timeout: 20000 });
  assert.match(await page.getByTestId('pane-mongoose').innerText(), /insertedId/);
  const unexpected = errors.filter((e) => !/Content Security Policy/.test(e));
  assert.deepEqual(unexpected, [], `console errors: ${unexpected.join('\n')}`);
  await context.close();
});
