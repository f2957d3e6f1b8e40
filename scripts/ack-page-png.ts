/**
 * Renders the Acknowledge link's confirmation page (the real HTML the endpoint serves) to
 * docs/acknowledge-page.png with headless Chromium. Not part of `npm run docs`: it needs a browser,
 * which the build does not. Regenerate after changing src/monitor/ack-page.ts:
 *
 *   apt-get install chromium-headless-shell   # Debian; or set CHROMIUM=/path/to/chrome
 *   npx tsx scripts/ack-page-png.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { confirmPage } from '../src/monitor/ack-page.js';
import { DIAGNOSIS_TABLE } from '../src/monitor/diagnosis-table.js';

const out = fileURLToPath(new URL('../docs/acknowledge-page.png', import.meta.url));
const page = confirmPage(
  { what: 'key trading', title: DIAGNOSIS_TABLE.IP_NOT_WHITELISTED.title, since: '2026-12-01 10:00 UTC', source: 'ExchangeKeyMonitor' },
  'example-token',
);
const dir = mkdtempSync(join(tmpdir(), 'ack-page-'));
try {
  const html = join(dir, 'page.html');
  writeFileSync(html, page.body);
  const browser = process.env['CHROMIUM'] ?? 'chromium-headless-shell';
  const run = spawnSync(
    browser,
    ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--window-size=640,560', `--screenshot=${out}`, `file://${html}`],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (run.status !== 0) {
    console.error(`${browser} failed (${run.error?.message ?? `exit ${run.status}`}): ${run.stderr.slice(0, 500)}`);
    process.exit(1);
  }
  console.log(`wrote ${out}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
