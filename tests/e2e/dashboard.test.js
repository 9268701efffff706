// Browser tests of the meshgate dashboard (issue 7), run by scripts/e2e.sh:
//   scripts/e2e.sh build/release
// or, with the dependencies installed (npm ci in tests/e2e):
//   MESHGATE_BUILD=build/release node --test tests/e2e/dashboard.test.js
//
// A real Chromium (Debian's, driven by playwright-core) uses the dashboard
// that the real meshgate serves, while meshgate runs a mesh simulated by
// the standalone meshsim program over a pty, the way it would drive a
// USB dongle. The test does what a user does: logs in, provisions the
// stairway's Output OOB lamp through the wizard (reading the number the
// simulated lamp "shows" on meshsim's output), renames it, adds it to the
// stairway group, switches the group on and checks with meshsim that the
// simulated lamps really are on, then takes a device off the air and
// watches it go offline. Screenshots of every page go to
// $E2E_ARTIFACTS (default <build>/e2e-artifacts), with the logs of both
// programs.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { Meshgate, Meshsim, freePort, httpOk, sleep, tempDir, waitFor, writeConfig } from './harness.js';

const build = path.resolve(process.env.MESHGATE_BUILD || 'build/release');
const artifacts = path.resolve(process.env.E2E_ARTIFACTS || path.join(build, 'e2e-artifacts'));
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

// The stairway scenario built into meshsim (deploy/scenarios/stairway.yaml).
const LAMP1 = { device: 'stair-lamp-1', uuid: 'ceadffdd-8dbe-4c86-91a0-1604b5b5df05', name: 'stairway/lamp 1' };
const LAMP3 = { device: 'stair-lamp-3', uuid: '02da705d-5822-415f-84ad-3d66db9da905' };
const GROUP = 'stairway lights';

const world = {};
let shot = 0;

async function screenshot(page, name) {
  shot++;
  const file = path.join(artifacts, `${String(shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// Every visible form control has a name a screen reader reads (a label,
// aria-label or aria-labelledby); every button says what it does.
async function assertLabelled(page, where) {
  const unnamed = await page.evaluate(() => {
    const visible = (el) => el.getClientRects().length > 0;
    const named = (el) => (el.labels && el.labels.length) || el.getAttribute('aria-label')
      || el.getAttribute('aria-labelledby') || (el.tagName === 'BUTTON' && el.textContent.trim());
    return [...document.querySelectorAll('input, select, textarea, button')]
      .filter((el) => visible(el) && el.type !== 'hidden' && !named(el))
      .map((el) => el.outerHTML.slice(0, 120));
  });
  assert.deepEqual(unnamed, [], `controls without an accessible name on ${where}`);
}

const row = (page, name) => page.locator(`tr[data-testid=node-row][data-name="${name}"]`);

describe('meshgate dashboard', { timeout: 300000 }, () => {
  before(async () => {
    fs.mkdirSync(artifacts, { recursive: true });
    for (const f of fs.readdirSync(artifacts)) {
      if (/\.(png|log)$/.test(f)) fs.unlinkSync(path.join(artifacts, f));
    }
    for (const bin of ['meshgate', 'meshsim']) {
      assert.ok(fs.existsSync(path.join(build, bin)), `${bin} is not built in ${build}`);
    }
    assert.ok(fs.existsSync(chromiumPath), `no Chromium at ${chromiumPath} (set CHROMIUM)`);

    world.dir = tempDir();
    world.sim = await Meshsim.start(path.join(build, 'meshsim'), world.dir, artifacts);
    world.port = await freePort();
    world.password = crypto.randomBytes(12).toString('base64url');
    world.base = `http://127.0.0.1:${world.port}`;
    const config = path.join(world.dir, 'config.yaml');
    world.config = config;
    writeConfig(config, { link: world.sim.gatewayLink, dataDir: path.join(world.dir, 'data'),
                          port: world.port, password: world.password, autoLamps: [LAMP1] });
    world.gw = await Meshgate.start(path.join(build, 'meshgate'), config, world.dir, artifacts);
    await waitFor('meshgate /health', () => httpOk(`${world.base}/health`), 30000);

    world.browser = await chromium.launch({ executablePath: chromiumPath, headless: true });
    world.context = await world.browser.newContext({ viewport: { width: 1280, height: 900 } });
    world.page = await world.context.newPage();
    world.errors = [];
    world.page.on('pageerror', (err) => world.errors.push(err.message));
    world.page.setDefaultTimeout(20000);
  });

  after(async () => {
    if (world.page && world.errors.length) {
      fs.writeFileSync(path.join(artifacts, 'page-errors.log'), world.errors.join('\n'));
    }
    if (world.browser) await world.browser.close();
    if (world.gw) await world.gw.stop();
    if (world.sim) await world.sim.stop();
    if (world.dir) fs.rmSync(world.dir, { recursive: true, force: true });
  });

  it('serves the page and refuses a wrong password', async () => {
    const { page } = world;
    const res = await page.goto(world.base);
    assert.equal(res.status(), 200);
    await page.getByTestId('login-form').waitFor();
    assert.equal(await page.getByTestId('nav-nodes').isVisible(), false, 'no navigation before login');
    await page.getByLabel('Password').fill('not the password');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('login-error').waitFor();
    assert.match(await page.getByTestId('login-error').textContent(), /wrong password/);
    await screenshot(page, 'login');
    await assertLabelled(page, 'login');
  });

  it('logs in and lists the nodes', async () => {
    const { page, sim } = world;
    await page.getByLabel('Password').fill(world.password);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('nodes-table').waitFor();
    await waitFor('connected', async () => (await page.getByTestId('conn-status').getAttribute('data-state')) === 'open');
    // The password is not left anywhere in the page.
    assert.ok(!(await page.content()).includes(world.password), 'the password is in the DOM');
    // The gateway itself is a row; lamp 1 comes once meshgate provisioned it by itself.
    await page.locator('tr[data-testid=node-row] .badge.self').waitFor();
    await sim.waitLine(new RegExp(`^device ${LAMP1.device} provisioned as`), 60000, { fromStart: true });
    await row(page, LAMP1.name).waitFor({ timeout: 30000 });
    await waitFor('lamp 1 configured and online', async () =>
      (await row(page, LAMP1.name).locator('.badge.warn').count()) === 0
      && (await row(page, LAMP1.name).getByTestId('node-status').getAttribute('data-state')) === 'online', 90000);
    await screenshot(page, 'nodes');
    await assertLabelled(page, 'nodes');
  });

  it('provisions the Output OOB lamp through the wizard', async () => {
    const { page, sim } = world;
    await page.getByTestId('nav-provision').click();
    await page.getByTestId('scan-start').click();
    await waitFor('countdown', async () => /Scanning: \d+ s left/.test(await page.getByTestId('scan-countdown').textContent()));
    const device = page.locator(`[data-testid=discovered-device][data-uuid="${LAMP3.uuid}"]`);
    await device.waitFor({ timeout: 30000 });
    await screenshot(page, 'scan');
    await assertLabelled(page, 'scan');
    await device.getByTestId('device-select').click();
    await page.getByTestId('prov-name').fill('landing lamp');
    await page.getByTestId('prov-method').selectOption('output');
    await screenshot(page, 'provision-setup');
    await assertLabelled(page, 'provision-setup');

    // What the simulated lamp shows on its "display" comes on meshsim's output.
    const shown = sim.waitLine(new RegExp(`^device ${LAMP3.device} shows (\\S+) \\((\\w+)\\)$`), 60000);
    await page.getByTestId('prov-start').click();
    const [, value, action] = await shown;
    assert.equal(action, 'numeric');
    await page.getByTestId('oob-input').waitFor({ timeout: 30000 });
    assert.equal(await page.locator('[data-step=started]').getAttribute('data-status'), 'done');
    await page.getByTestId('prov-capabilities').waitFor();
    await screenshot(page, 'provision-oob');
    await assertLabelled(page, 'provision-oob');
    await page.getByTestId('oob-input').fill(value);
    await page.getByTestId('oob-submit').click();

    const provisioned = await sim.waitLine(new RegExp(`^device ${LAMP3.device} provisioned as (0x[0-9a-f]{4})$`), 60000,
      { fromStart: true });
    world.lamp3Address = provisioned[1];
    await waitFor('provisioned step', async () =>
      (await page.locator('[data-step=complete]').getAttribute('data-status')) === 'done', 30000);
    await waitFor('configured step', async () =>
      (await page.locator('[data-step=configured]').getAttribute('data-status')) === 'done', 120000, 500);
    await page.getByTestId('prov-done').waitFor();
    assert.equal(await page.getByTestId('prov-error').count(), 0);
    await screenshot(page, 'provision-done');
  });

  it('renames the new lamp', async () => {
    const { page } = world;
    await page.getByTestId('nav-nodes').click();
    const r = row(page, 'landing lamp');
    await r.waitFor();
    assert.equal(await r.getAttribute('data-node'), world.lamp3Address);
    await r.getByTestId('node-rename').click();
    await page.getByTestId('prompt-input').fill('stairway/lamp 3');
    await page.getByTestId('prompt-ok').click();
    await row(page, 'stairway/lamp 3').waitFor();
    assert.equal(await row(page, 'landing lamp').count(), 0);
  });

  it('adds it to the stairway group and switches the group on', async () => {
    const { page, sim } = world;
    await page.getByTestId('nav-groups').click();
    const card = page.locator(`[data-testid=group-card][data-group="${GROUP}"]`);
    await card.waitFor();
    await card.getByTestId('group-member-select').selectOption('stairway/lamp 3');
    await card.getByTestId('group-member-add').click();
    await card.locator('[data-testid=group-member][data-name="stairway/lamp 3"]').waitFor({ timeout: 30000 });
    assert.equal(await card.locator(`[data-testid=group-member][data-name="${LAMP1.name}"]`).count(), 1,
      'lamp 1 is in the group by the configuration');

    for (const lamp of [LAMP1.device, LAMP3.device]) {
      assert.equal((await sim.lightState(lamp)).onoff, 0, `${lamp} starts off`);
    }
    await card.getByTestId('light-on').click();
    for (const lamp of [LAMP1.device, LAMP3.device]) {
      await waitFor(`${lamp} on`, async () => {
        const st = await sim.lightState(lamp);
        return st.onoff === 1 && st.lightness > 0;
      }, 20000, 300);
    }
    // The lamps' own status publications reach the gateway and the page.
    await waitFor('group shown on', async () =>
      /^ON/.test(await card.getByTestId('light-state').textContent()), 20000);
    await screenshot(page, 'groups');
    await assertLabelled(page, 'groups');
  });

  it('switches one lamp off from the node list', async () => {
    const { page, sim } = world;
    await page.getByTestId('nav-nodes').click();
    const r = row(page, 'stairway/lamp 3');
    await r.getByTestId('light-off').click();
    await waitFor('lamp 3 off', async () => (await sim.lightState(LAMP3.device)).onoff === 0, 20000, 300);
    await waitFor('lamp 3 shown off', async () => (await r.getByTestId('light-state').textContent()) === 'OFF', 20000);
    assert.equal((await sim.lightState(LAMP1.device)).onoff, 1, 'lamp 1 stays on');
  });

  it('shows the node page', async () => {
    const { page } = world;
    await row(page, 'stairway/lamp 3').getByTestId('node-name').click();
    await page.getByTestId('node-about').waitFor();
    assert.equal(await page.getByTestId('node-detail-name').textContent(), 'stairway/lamp 3');
    assert.ok(await page.getByTestId('node-element').count() >= 1);
    // Lightness server bound to an app key, subscribed to the group.
    const models = page.getByTestId('node-models-table').first();
    assert.match(await models.textContent(), /stairway lights/);
    await screenshot(page, 'node');
    await assertLabelled(page, 'node');
  });

  it('draws the network map', async () => {
    const { page } = world;
    await page.getByTestId('nav-map').click();
    await page.getByTestId('map-svg').waitFor();
    await page.locator(`[data-testid=map-node][data-node="${world.lamp3Address}"]`).waitFor();
    await waitFor('links from heartbeats', async () => (await page.getByTestId('map-link').count()) >= 2, 30000, 1000);
    await screenshot(page, 'map');
    await assertLabelled(page, 'map');
  });

  it('shows the live log', async () => {
    const { page } = world;
    await page.getByTestId('nav-logs').click();
    await page.getByTestId('log-kind').selectOption('all');
    await waitFor('log entries', async () => (await page.getByTestId('log-entry').count()) > 0);
    assert.ok(await page.locator('[data-testid=log-entry][data-kind=event]').count() > 0, 'bridge events are listed');
    // Once: the terminal's echo of each event is no log line here.
    const echoes = page.locator('[data-testid=log-entry][data-kind=log] .message')
      .filter({ hasText: /^(event [a-z_]+ |unprovisioned device )/ });
    assert.equal(await echoes.count(), 0, 'bridge events are not listed a second time as log lines');
    await screenshot(page, 'logs');
    await assertLabelled(page, 'logs');
  });

  it('shows a device going offline', async () => {
    const { page, sim } = world;
    await page.getByTestId('nav-nodes').click();
    const status = row(page, 'stairway/lamp 3').getByTestId('node-status');
    assert.equal(await status.getAttribute('data-state'), 'online');
    await sim.command(`off ${LAMP3.device}`);
    const t0 = Date.now();
    await waitFor('lamp 3 offline', async () => (await status.getAttribute('data-state')) === 'offline', 30000, 500);
    console.log(`# offline shown ${((Date.now() - t0) / 1000).toFixed(1)} s after the device went off the air`);
    assert.equal(await row(page, LAMP1.name).getByTestId('node-status').getAttribute('data-state'), 'online');
    await screenshot(page, 'nodes-offline');
  });

  it('fits a phone screen', async () => {
    const { page } = world;
    await page.setViewportSize({ width: 390, height: 844 });
    for (const nav of ['nav-nodes', 'nav-groups', 'nav-provision', 'nav-logs']) {
      await page.getByTestId(nav).click();
      await sleep(200);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${nav}: the page is ${overflow} px wider than the screen`);
    }
    await page.getByTestId('nav-nodes').click();
    await row(page, 'stairway/lamp 3').waitFor();
    await screenshot(page, 'nodes-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('notices a gateway restart and asks to log in again', async () => {
    const { page } = world;
    await world.gw.stop();
    await page.getByTestId('banner').waitFor();
    assert.match(await page.getByTestId('banner').textContent(), /connection to meshgate was lost/);
    assert.notEqual(await page.getByTestId('conn-status').getAttribute('data-state'), 'open');
    await screenshot(page, 'disconnected');
    // Sessions live in meshgate's memory: the new process knows none.
    world.gw = await Meshgate.start(path.join(build, 'meshgate'), world.config, world.dir, artifacts,
      { logName: 'meshgate-restarted.log' });
    await waitFor('meshgate /health', () => httpOk(`${world.base}/health`), 30000);
    await page.getByTestId('reconnect-now').click().catch(() => {});
    await page.getByTestId('login-form').waitFor({ timeout: 40000 });
    assert.match(await page.getByTestId('login-error').textContent(), /session ended/);
    await page.getByLabel('Password').fill(world.password);
    await page.getByTestId('login-submit').click();
    // The network database kept the lamp and its new name.
    await row(page, 'stairway/lamp 3').waitFor();
    await waitFor('connected', async () => (await page.getByTestId('conn-status').getAttribute('data-state')) === 'open');
  });

  it('has a backup link and logs out', async () => {
    const { page } = world;
    assert.equal(await page.getByTestId('backup-link').getAttribute('href'), '/api/backup');
    await page.getByTestId('logout').click();
    await page.getByTestId('login-form').waitFor();
    const res = await page.request.get(`${world.base}/api/session`);
    assert.equal(res.status(), 401);
    assert.deepEqual(world.errors, [], 'no script errors on the page');
  });
});
