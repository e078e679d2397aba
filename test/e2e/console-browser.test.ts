import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { consoleLogin, tocsinUp, type UpStack } from '../support/tocsinUp.ts';

// The dashboard on a running demo stack, in Debian's Chromium driven by playwright-core (no browser download):
// a firing alert shows, the login link logs in, the Acknowledge button acknowledges it and the row says so; a
// silence and a maintenance window are created with their forms and ended with their buttons.
// First-load time and JavaScript bytes are measured and printed (a figure, not an assertion).

const repo = join(import.meta.dirname, '..', '..');
// `tocsin up` builds it there from these sources when it is missing or stale (packages/cli/src/up/dashboard.ts).
const webDist = join(repo, 'services', 'console', 'web', 'dist');
const outDir = join(process.env.TEST_OUTPUT_DIR ?? join(repo, 'test-output'), 'console-browser');

/** CHROMIUM_PATH, else Debian's binary; .ci/run installs the `chromium` package when it is absent. */
function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((p): p is string => !!p && existsSync(p));
  if (!found)
    throw new Error(
      `no Chromium: set CHROMIUM_PATH or install Debian's chromium (apt-get install chromium); tried ${candidates.filter(Boolean).join(', ')}`,
    );
  return found;
}

let browser: Browser | undefined;
let demo: UpStack | undefined;
/** The console alone (`--only console`): every other service "not running". */
let alone: UpStack | undefined;

/** Bytes of every JavaScript file the build made (the lazily loaded chart views too). */
function allJs(): number {
  const dir = join(webDist, 'assets');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

/**
 * Opens `url` in a fresh browser context (empty cache, no token) and waits for `ready`: the milliseconds from
 * navigation start to then (the page's own clock), to the load event, and the JavaScript it fetched.
 */
async function coldLoad(url: string, ready: string) {
  const ctx = await browser!.newContext();
  try {
    const page = await ctx.newPage();
    const js = new Map<string, number>();
    page.on('response', async (r) => {
      if (r.request().resourceType() !== 'script') return;
      const body = await r.body().catch(() => null);
      if (body) js.set(r.url(), body.length);
    });
    await page.goto(url, { waitUntil: 'load' });
    await page.locator(ready).first().waitFor({ timeout: 30_000 });
    // In the page (a string: this file is compiled without the DOM types).
    const t = await page.evaluate<{ ready: number; load: number }>(`(() => {
      const [n] = performance.getEntriesByType('navigation');
      return { ready: performance.now() - n.startTime, load: n.loadEventEnd - n.startTime };
    })()`);
    return {
      readyMs: Math.round(t.ready),
      loadMs: Math.round(t.load),
      jsBytes: [...js.values()].reduce((a, b) => a + b, 0),
      jsFiles: js.size,
    };
  } finally {
    await ctx.close();
  }
}

beforeAll(async () => {
  demo = tocsinUp('console_ui', inject('natsUrl'));
  alone = tocsinUp('console_alone', inject('natsUrl'), ['--only', 'console']);
  browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Root in CI containers: Chromium's sandbox needs user namespaces it may not have.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
    timeout: 60_000,
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([demo?.stop(), alone?.stop()]);
}, 60_000);

it('shows a firing alert, logs in with the token link and acknowledges it with the button', async () => {
  // The demo prints the console's login link (…/#token=<token>) in its startup summary.
  const { base, token: tok } = await consoleLogin(demo!);
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(30_000);

  // Read-only at first: no token stored in this browser yet.
  await page.goto(`${base}/`);
  await page.locator('header nav').waitFor();
  await expect.poll(() => page.locator('.session').textContent()).toContain('read-only');

  // A firing alert arrives (listed, or pushed over the live stream); read-only shows no Acknowledge button.
  const firing = page.locator('tr.alert.firing');
  await firing
    .first()
    .waitFor({ timeout: 150_000 })
    .catch(async (e: Error) => {
      const main = await page.locator('main').textContent();
      throw new Error(`${e.message}\npage: ${main}\nstack:\n${demo!.output().slice(-3000)}`);
    });
  expect(await page.locator('button.ack').count()).toBe(0);

  // The login link stores the token and leaves the URL clean.
  await page.goto(`${base}/#token=${tok}`);
  await expect.poll(() => page.locator('.session').textContent()).toContain('logged in');
  expect(new URL(page.url()).hash).not.toContain('token');
  expect(await page.evaluate(`localStorage.getItem('tocsin.console.token')`)).toBe(tok);

  // Acknowledge a firing alert with its button; its row turns acknowledged.
  // The expired IBC client's alert: it stays firing (others, like a consumer about to spawn, resolve soon).
  const row = firing.filter({ hasText: 'has expired' }).first();
  await row.waitFor({ timeout: 60_000 });
  const episode = await row.getAttribute('data-episode');
  expect(episode).toBeTruthy();
  await row.locator('button.ack').click();
  const acked = page.locator(`tr.alert[data-episode="${episode}"]`);
  await expect.poll(() => acked.getAttribute('class'), { timeout: 30_000 }).toContain('acknowledged');
  expect(await acked.locator('.badge').first().textContent()).toBe('acknowledged');
  expect(await acked.textContent()).toContain('acknowledged by');

  // The server agrees (the alerter recorded it), not just the page.
  const detail = (await (await fetch(`${base}/api/alerts/${episode}`)).json()) as {
    alert: { acknowledged: { by: string } | null };
    timeline: Array<{ kind: string }>;
  };
  expect(detail.alert.acknowledged?.by).toMatch(/^user:/);

  // The alert's page shows the acknowledgement in its timeline.
  await page.goto(`${base}/#/alert/${episode}`);
  await page.locator('ol.timeline li').first().waitFor();
  expect(await page.locator('ol.timeline').textContent()).toMatch(/ack/i);

  mkdirSync(outDir, { recursive: true });
  // A silence: created with the form (matchers, duration, reason), listed, expired with its button.
  await page.goto(`${base}/#/silences`);
  const marker = `browser-test-${Date.now().toString(36)}`;
  const form = page.locator('form.card');
  await form.locator('input[placeholder="value"]').fill(marker);
  await form.locator('input[placeholder="reason"]').fill('console browser test');
  await form.locator('button[type="submit"]').click();
  const silenceRow = page.locator('tr', { hasText: marker });
  await silenceRow.waitFor();
  expect(await silenceRow.textContent()).toContain('console browser test');
  await page.screenshot({ path: join(outDir, 'silences.png'), fullPage: true });
  await silenceRow.locator('button', { hasText: 'Expire' }).click();
  await silenceRow.waitFor({ state: 'detached' });

  // A maintenance window: created with its form (weekly, Tuesdays by default), listed by the alerter, ended.
  await page.goto(`${base}/#/maintenance`);
  const mForm = page.locator('form.card');
  await mForm.locator('input[placeholder="value"]').fill(marker);
  await mForm.locator('input[placeholder="reason"]').fill('console browser maintenance');
  await mForm.locator('button[type="submit"]').click();
  const windowRow = page.locator('tr', { hasText: marker });
  await windowRow.waitFor();
  expect(await windowRow.textContent()).toMatch(/tue 14:00–15:00/);
  await page.screenshot({ path: join(outDir, 'maintenance.png'), fullPage: true });
  await windowRow.locator('button', { hasText: 'End' }).click();
  await windowRow.waitFor({ state: 'detached' });

  // Every other view renders from the real API (data, or a plain "not running" note), never an error.
  for (const view of ['ibc', 'wallets', 'ics', 'subspace', 'harmony']) {
    await page.goto(`${base}/#/${view}`);
    await expect.poll(() => page.locator('main').textContent(), { timeout: 30_000 }).not.toMatch(/Loading/);
    expect(
      await page.locator('main .note.error').count(),
      `${view}: ${await page.locator('main').textContent()}`,
    ).toBe(0);
    await page.screenshot({ path: join(outDir, `${view}.png`), fullPage: true });
  }

  await page.goto(`${base}/#/alerts`);
  await page.locator('tr.alert').first().waitFor();
  await page.screenshot({ path: join(outDir, 'dashboard.png'), fullPage: true });

  // First load, measured once the stack is up: cold (a fresh browser context, empty cache), read-only, until the
  // alert list shows. Baseline in the same run: a cold load of the same server's /healthz (a tiny JSON page).
  const dash = [];
  const base1 = [];
  for (let i = 0; i < 5; i++) {
    base1.push(await coldLoad(`${base}/healthz`, 'body'));
    dash.push(await coldLoad(`${base}/`, 'tr.alert'));
  }
  const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const figures = {
    first_load_ms_median: median(dash.map((d) => d.readyMs)),
    first_load_ms_all: dash.map((d) => d.readyMs),
    load_event_ms_median: median(dash.map((d) => d.loadMs)),
    baseline_healthz_ms_median: median(base1.map((d) => d.readyMs)),
    first_load_js_bytes: dash[0]!.jsBytes,
    first_load_js_files: dash[0]!.jsFiles,
    all_js_bytes: allJs(),
  };
  writeFileSync(join(outDir, 'figures.json'), `${JSON.stringify(figures, null, 2)}\n`);
  console.log(
    `console dashboard: first load (alerts shown) median ${figures.first_load_ms_median} ms of ${figures.first_load_ms_all.join('/')} ` +
      `(load event ${figures.load_event_ms_median} ms; baseline /healthz ${figures.baseline_healthz_ms_median} ms, ` +
      `ratio ${(figures.first_load_ms_median / Math.max(1, figures.baseline_healthz_ms_median)).toFixed(1)}x); ` +
      `${(figures.first_load_js_bytes / 1024).toFixed(1)} KB of JavaScript on first load in ${figures.first_load_js_files} file(s), ` +
      `${(figures.all_js_bytes / 1024).toFixed(1)} KB for every view; screenshots in ${outDir}`,
  );
  expect(figures.first_load_js_bytes).toBeGreaterThan(0);
}, 360_000);

it('says "not running" on the views whose service is not part of the stack (the API answers 503)', async () => {
  const { base } = await consoleLogin(alone!);
  const page = await browser!.newPage();
  page.setDefaultTimeout(30_000);
  mkdirSync(outDir, { recursive: true });
  for (const view of ['alerts', 'ibc', 'wallets', 'ics', 'subspace', 'harmony']) {
    await page.goto(`${base}/#/${view}`);
    // The console waits console.rpc_timeout (5 s) for an answer before it says 503.
    const note = page.locator('main .note').first();
    await note.waitFor({ timeout: 30_000 });
    expect(await note.getAttribute('class'), `${view}: ${await note.textContent()}`).toContain('not-running');
    expect(await page.locator('main .note.error').count(), view).toBe(0);
  }
  expect(await page.locator('main .note.not-running').first().textContent()).toMatch(/Not running: Harmony/);
  await page.screenshot({ path: join(outDir, 'not-running.png'), fullPage: true });
}, 240_000);
