import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { subjects } from '@tocsin/events';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { ensureWebBuilt } from '../../services/console/web/build.ts';
import { cleanEnv } from '../support/processes.ts';

// The dashboard on a running demo stack, in Debian's Chromium driven by playwright-core (no browser download):
// a firing alert shows, the login link logs in, the Acknowledge button acknowledges it and the row says so.
// First-load time and JavaScript bytes are measured and printed (a figure, not an assertion).

const repo = join(import.meta.dirname, '..', '..');
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

beforeAll(async () => {
  // What `pnpm start` does first: the dashboard of these sources (a no-op when web/dist is current).
  await ensureWebBuilt();
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
  const jsBytes = new Map<string, number>();
  page.on('response', async (r) => {
    if (r.request().resourceType() !== 'script') return;
    const body = await r.body().catch(() => null);
    if (body) jsBytes.set(r.url(), body.length);
  });

  // First load, read-only: the page and its scripts, timed by the browser's own navigation timing.
  await page.goto(`${base!}/`, { waitUntil: 'load' });
  await page.locator('header nav').waitFor();
  // In the page (a string: this file is compiled without the DOM types).
  const nav = await page.evaluate<{ load: number; dcl: number }>(`(() => {
    const [n] = performance.getEntriesByType('navigation');
    return { load: n.loadEventEnd - n.startTime, dcl: n.domContentLoadedEventEnd - n.startTime };
  })()`);
  const firstLoadJs = [...jsBytes.values()].reduce((a, b) => a + b, 0);
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

  // Every other view renders from the real API (data, or a plain "not running" note), never an error.
  mkdirSync(outDir, { recursive: true });
  for (const view of ['silences', 'ibc', 'wallets', 'ics', 'subspace', 'harmony']) {
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
  const figures = {
    first_load_ms: Math.round(nav.load),
    dom_content_loaded_ms: Math.round(nav.dcl),
    first_load_js_bytes: firstLoadJs,
    js_files: Object.fromEntries(jsBytes),
  };
  writeFileSync(join(outDir, 'figures.json'), `${JSON.stringify(figures, null, 2)}\n`);
  console.log(
    `console dashboard: first load ${figures.first_load_ms} ms (DOMContentLoaded ${figures.dom_content_loaded_ms} ms), ` +
      `${(firstLoadJs / 1024).toFixed(1)} KB of JavaScript in ${jsBytes.size} file(s); screenshot ${join(outDir, 'dashboard.png')}`,
  );
  expect(firstLoadJs).toBeGreaterThan(0);
}, 360_000);
