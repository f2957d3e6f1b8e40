import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { docSections } from '../../scripts/readme-docs.js';
import { README, readSection } from '../../scripts/readme-sections.js';

// The README's diagnosis table, alarm table and alert examples are generated from the code (the
// examples by real checks against the sandbox, the incident rules and the channel renderers).
describe('README sections generated from code', async () => {
  const readme = readFileSync(README, 'utf8');
  const sections = await docSections();
  it.each(Object.keys(sections))('%s is what npm run docs prints', (name) => {
    expect(readSection(readme, name), 'run: npm run docs -- --write-readme').toBe(sections[name]);
  });

  it('has a row for every diagnosis and every monitor alarm', () => {
    expect(sections['diagnoses']).toMatch(/`IP_NOT_WHITELISTED` \| 40103/);
    expect(sections['diagnoses']).toContain('`WITHDRAW_PERMISSION_UNEXPECTED`');
    expect(sections['monitor-alarms']).toContain('`<stack>-HEARTBEAT`');
    // Every message the issue names, as email and as a chat channel.
    for (const title of [
      'A key incident opens',
      'Its diagnosis changes',
      'Reminder while it stays open',
      'Resolved, with the duration',
      'The monitor itself is down',
      'Announced exchange maintenance',
      'key-monitor test-alert',
    ]) {
      const at = sections['alert-examples']?.indexOf(title) ?? -1;
      expect(at, title).toBeGreaterThan(-1);
      const part = sections['alert-examples']?.slice(at, sections['alert-examples'].indexOf('</details>', at)) ?? '';
      expect(part).toMatch(/Subject: \[(ALERT|WARNING|RESOLVED|INFO|TEST)\]/);
      expect(part).toMatch(/```html\n<b>/);
    }
    expect(sections['alert-examples']).toContain('Subject: [ALERT] trading: now IP not whitelisted (40103)');
  });

  it('documents every field of the --json output that a real run prints', async () => {
    const { main } = await import('../../src/cli/key-monitor.js');
    const section = readme.slice(readme.indexOf('### JSON output'), readme.indexOf('## What the checks do'));
    const seen = new Set<string>();
    for (const scenario of ['healthy', 'auth-failed', 'withdraw-enabled']) {
      let out = '';
      await main(['check', '--sandbox', scenario, '--json'], {}, { out: (t) => (out += t), err: () => {} });
      const json = JSON.parse(out) as Record<string, unknown> & { checks: Record<string, unknown>[] };
      for (const k of Object.keys(json)) seen.add(k);
      for (const c of json.checks) for (const k of Object.keys(c)) seen.add(k);
    }
    for (const field of seen) expect(section, `README → JSON output does not document "${field}"`).toContain(`\`${field}\``);
  });

  it('gives the rotate exit codes the CLI returns', async () => {
    const { ROTATE_EXIT } = await import('../../src/cli/rotate.js');
    const table = readme.slice(readme.indexOf('| Exit | Verdict |'));
    expect(table).toContain(`| ${ROTATE_EXIT.promoted} | **Promoted**`);
    expect(table).toContain(`| ${ROTATE_EXIT.refused} | **Refused**`);
    expect(table).toContain(`| ${ROTATE_EXIT.badInput} | Bad input`);
    expect(table).toContain(`| ${ROTATE_EXIT.stillRunning} | No verdict yet`);
  });
});
