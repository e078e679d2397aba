import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { subjects } from '@tocsin/events';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { cleanEnv } from '../support/processes.ts';

// The dashboard on a running demo stack, in Debian's Chromium driven by playwright-core (no browser download):
// a firing alert shows, the login link logs in, the Acknowledge button acknowledges it and the row says so.
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

const prefix = `t_console_ui_${randomBytes(4).toString('hex')}`;
const dataDir = mkdtempSync(join(tmpdir(), 'tocsin-console-ui-'));
let child: ChildProcess | undefined;
let browser: Browser | undefined;
let out = '';

/** Resolves with the first match of `re` in the stack's output; fails naming what is missing after `ms`. */
function waitForOutput(re: RegExp, ms: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = out.match(re);
      if (!m) return false;
      clearTimeout(timer);
      child?.stdout?.off('data', check);
      child?.stderr?.off('data', check);
      resolve(m);
      return true;
    };
    const timer = setTimeout(() => {
      child?.stdout?.off('data', check);
      child?.stderr?.off('data', check);
      reject(new Error(`stack output lacks ${re} after ${ms} ms:\n${out.slice(-4000)}`));
    }, ms);
    if (check()) return;
    child?.stdout?.on('data', check);
    child?.stderr?.on('data', check);
  });
}

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
  child = spawn(
    process.execPath,
    [join(repo, 'packages', 'cli', 'bin', 'tocsin.mjs'), 'up', '--data-dir', dataDir],
    {
      cwd: dataDir,
      env: { ...cleanEnv(), NATS_URL: inject('natsUrl'), TOCSIN_SUBJECT_PREFIX: prefix },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr!.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.once('exit', (code) => {
    out += `\n[tocsin up exited: ${code}]\n`;
  });
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
  if (child && child.exitCode === null) {
    const closed = new Promise((r) => child!.once('close', r));
    child.kill('SIGINT');
    const timer = setTimeout(() => child!.kill('SIGKILL'), 20_000);
    await closed;
    clearTimeout(timer);
  }
  rmSync(dataDir, { recursive: true, force: true });
  const nc = await connect({ servers: inject('natsUrl') });
  const jsm = await jetstreamManager(nc);
  for (const s of Object.values(subjects(prefix).streams)) await jsm.streams.delete(s).catch(() => undefined);
  await nc.close();
}, 60_000);

it('shows a firing alert, logs in with the token link and acknowledges it with the button', async () => {
  // The demo prints the console's login link (…/#token=<token>) in its startup summary.
  const [, base, tok] = await waitForOutput(/(https?:\/\/[^\s/]+)\/#token=([A-Za-z0-9_.~-]+)/, 120_000);
  // The summary comes first; the service logs once it listens.
  await waitForOutput(/console started/, 120_000);
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(30_000);

  // Read-only at first: no token stored in this browser yet.
  await page.goto(`${base!}/`);
  await page.locator('header nav').waitFor();
  await expect.poll(() => page.locator('.session').textContent()).toContain('read-only');

  // A firing alert arrives (listed, or pushed over the live stream); read-only shows no Acknowledge button.
  const firing = page.locator('tr.alert.firing');
  await firing.first().waitFor({ timeout: 150_000 });
  expect(await page.locator('button.ack').count()).toBe(0);

  // The login link stores the token and leaves the URL clean.
  await page.goto(`${base!}/#token=${tok!}`);
  await expect.poll(() => page.locator('.session').textContent()).toContain('logged in');
  expect(new URL(page.url()).hash).not.toContain('token');
  expect(await page.evaluate(`localStorage.getItem('tocsin.console.token')`)).toBe(tok);

  // Acknowledge the first firing alert with its button; its row turns acknowledged.
  const row = firing.first();
  const episode = await row.getAttribute('data-episode');
  expect(episode).toBeTruthy();
  await row.locator('button.ack').click();
  const acked = page.locator(`tr.alert[data-episode="${episode}"]`);
  await expect.poll(() => acked.getAttribute('class'), { timeout: 30_000 }).toContain('acknowledged');
  expect(await acked.locator('.badge').first().textContent()).toBe('acknowledged');
  expect(await acked.textContent()).toContain('acknowledged by');

  // The server agrees (the alerter recorded it), not just the page.
  const detail = (await (await fetch(`${base!}/api/alerts/${episode}`)).json()) as {
    alert: { acknowledged: { by: string } | null };
    timeline: Array<{ kind: string }>;
  };
  expect(detail.alert.acknowledged?.by).toMatch(/^user:/);

  // The alert's page shows the acknowledgement in its timeline.
  await page.goto(`${base!}/#/alert/${episode}`);
  await page.locator('ol.timeline li').first().waitFor();
  expect(await page.locator('ol.timeline').textContent()).toMatch(/ack/i);

  mkdirSync(outDir, { recursive: true });
  // A silence: created with the form (matchers, duration, reason), listed, expired with its button.
  await page.goto(`${base!}/#/silences`);
  const marker = `browser-${prefix}`;
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

  // Every other view renders from the real API (data, or a plain "not running" note), never an error.
  for (const view of ['ibc', 'wallets', 'ics', 'subspace', 'harmony']) {
    await page.goto(`${base!}/#/${view}`);
    await expect.poll(() => page.locator('main').textContent(), { timeout: 30_000 }).not.toMatch(/Loading/);
    expect(
      await page.locator('main .note.error').count(),
      `${view}: ${await page.locator('main').textContent()}`,
    ).toBe(0);
    await page.screenshot({ path: join(outDir, `${view}.png`), fullPage: true });
  }

  await page.goto(`${base!}/#/alerts`);
  await acked.waitFor();
  await page.screenshot({ path: join(outDir, 'dashboard.png'), fullPage: true });

  // First load, measured once the stack is up: cold (a fresh browser context, empty cache), read-only, until the
  // alert list shows. Baseline in the same run: a cold load of the same server's /healthz (a tiny JSON page).
  const dash = [];
  const base1 = [];
  for (let i = 0; i < 5; i++) {
    base1.push(await coldLoad(`${base!}/healthz`, 'body'));
    dash.push(await coldLoad(`${base!}/`, 'tr.alert'));
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
