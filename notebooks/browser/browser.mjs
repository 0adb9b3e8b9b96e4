// Shared by the two browser tests: the headless Chromium every test uses
// (Debian's /usr/bin/chromium driven by playwright-core, never a downloaded
// browser), the settings handed over by run.sh, and small assertion helpers.
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// settings reads what run.sh exports: the Jupyter server it started, its
// token, the notebook root (a temporary copy of notebooks/ and datasets/) and
// where screenshots go.
export function settings() {
  const need = ['PS_BASE_URL', 'PS_TOKEN', 'PS_NBROOT', 'PS_ARTIFACTS'];
  const missing = need.filter((k) => !process.env[k]);
  if (missing.length) {
    throw new Error(`missing environment ${missing.join(', ')}: run the tests through notebooks/browser/run.sh`);
  }
  mkdirSync(process.env.PS_ARTIFACTS, { recursive: true });
  return {
    base: process.env.PS_BASE_URL.replace(/\/$/, ''),
    token: process.env.PS_TOKEN,
    nbroot: process.env.PS_NBROOT,
    artifacts: process.env.PS_ARTIFACTS,
  };
}

// withBrowser runs fn(page) in a fresh Chromium profile and always closes the
// browser and removes the profile. The page's console errors and uncaught
// exceptions are collected in page.problems for the test to report.
export async function withBrowser(name, fn) {
  const profile = mkdtempSync(join(tmpdir(), `peerscope-chromium-${name}-`));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      // CI containers give /dev/shm 64 MB, too little for Chromium's shared
      // memory; Debian's launcher adds this only when its size check works.
      '--disable-dev-shm-usage',
    ],
    viewport: { width: 1280, height: 900 },
    timeout: 30_000,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.problems = [];
    page.on('console', (m) => {
      if (process.env.PS_DEBUG) console.log(`  browser ${m.type()}: ${m.text()}`);
      if (m.type() === 'error') page.problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
    try {
      return await fn(page);
    } catch (e) {
      // What the page said is usually the cause: show it with the failure.
      if (page.problems.length) e.message += `\n--- browser console ---\n${page.problems.join('\n')}`;
      throw e;
    }
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

// check throws with msg when cond is false.
export function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

// step logs a timed test step.
export function stepper(test) {
  const t0 = Date.now();
  return (what) => console.log(`[${test} +${((Date.now() - t0) / 1000).toFixed(1)}s] ${what}`);
}
