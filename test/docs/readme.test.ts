import { describe, expect, it } from 'vitest';
import { CONTEXT_KEYS } from '../../cdk/config.js';
import { generatedFiles } from '../../scripts/doc-pages.js';
import { readSection, sectionNames } from '../../scripts/readme-sections.js';
import { documentationFiles, read } from './markdown.js';

/** A page's text from a heading to the next heading of the same level (or the end). */
function section(text: string, heading: string): string {
  const start = text.indexOf(`\n${heading}\n`);
  expect(start, `a "${heading}" heading`).toBeGreaterThan(-1);
  const level = /^#+ /.exec(heading)?.[0] ?? '## ';
  const end = text.indexOf(`\n${level}`, start + heading.length + 1);
  return text.slice(start, end < 0 ? undefined : end);
}

// The diagnosis table, the alarm table, the alert examples (real checks against the sandbox, the
// incident rules and the channel renderers), the cost tables, the sandbox scenarios and the code map
// are generated from the code into README.md and docs/.
describe('README.md and docs/ sections generated from code', async () => {
  const files = await generatedFiles();
  const cases = Object.entries(files).flatMap(([file, sections]) => Object.keys(sections).map((name) => [file, name] as const));
  it.each(cases)('%s → %s is what npm run docs prints', (file, name) => {
    expect(readSection(read(file), name), 'run: npm run docs -- --write').toBe(files[file]?.[name]);
  });

  it('holds no generated section that npm run docs does not write', () => {
    for (const file of documentationFiles()) expect(sectionNames(read(file)), file).toEqual(Object.keys(files[file] ?? {}));
  });

  it('has a row for every diagnosis and every monitor alarm', () => {
    const diagnoses = files['docs/diagnoses.md']?.['diagnoses'];
    const alarms = files['docs/incidents.md']?.['monitor-alarms'];
    const examples = files['docs/alert-gallery.md']?.['alert-examples'] ?? '';
    expect(diagnoses).toMatch(/`IP_NOT_WHITELISTED` \| 40103/);
    expect(diagnoses).toContain('`WITHDRAW_PERMISSION_UNEXPECTED`');
    expect(alarms).toContain('`<stack>-HEARTBEAT`');
    // Every kind of message, as email and as a chat channel.
    for (const title of [
      'A key incident opens',
      'Its diagnosis changes',
      'Reminder while it stays open',
      'Resolved, with the duration',
      'The monitor itself is down',
      'Announced exchange maintenance',
      'key-monitor test-alert',
    ]) {
      const at = examples.indexOf(title);
      expect(at, title).toBeGreaterThan(-1);
      const part = examples.slice(at, examples.indexOf('</details>', at));
      expect(part).toMatch(/Subject: \[(ALERT|WARNING|RESOLVED|INFO|TEST)\]/);
      expect(part).toMatch(/```html\n<b>/);
    }
    expect(examples).toContain('Subject: [ALERT] trading: now IP not whitelisted (40103)');
  });

  it('docs/cli.md → JSON output documents every field of the --json output that a real run prints', async () => {
    const { main } = await import('../../src/cli/key-monitor.js');
    const documented = section(read('docs/cli.md'), '## JSON output');
    const seen = new Set<string>();
    for (const scenario of ['healthy', 'auth-failed', 'withdraw-enabled']) {
      let out = '';
      await main(['check', '--sandbox', scenario, '--json'], {}, { out: (t) => (out += t), err: () => {} });
      const json = JSON.parse(out) as Record<string, unknown> & { checks: Record<string, unknown>[] };
      for (const k of Object.keys(json)) seen.add(k);
      for (const c of json.checks) for (const k of Object.keys(c)) seen.add(k);
    }
    for (const field of seen) expect(documented, `docs/cli.md → JSON output does not document "${field}"`).toContain(`\`${field}\``);
  });

  it.each([
    ['README.md', '## Rotate a key'],
    ['docs/rotation.md', '## Steps'],
  ])('%s → %s gives the rotate exit codes the CLI returns', async (file, heading) => {
    const { ROTATE_EXIT } = await import('../../src/cli/rotate.js');
    const table = section(read(file), heading);
    expect(table).toContain(`| ${ROTATE_EXIT.promoted} | **Promoted**`);
    expect(table).toContain(`| ${ROTATE_EXIT.refused} | **Refused**`);
    expect(table).toContain(`| ${ROTATE_EXIT.badInput} | Bad input`);
    expect(table).toContain(`| ${ROTATE_EXIT.stillRunning} | No verdict yet`);
  });

  it.each([
    ['README.md', '## Configure'],
    ['docs/configuration.md', '## Every setting'],
  ])('%s → %s lists every context setting the app reads (synth says README → Configure does)', (file, heading) => {
    const configure = section(read(file), heading);
    for (const name of CONTEXT_KEYS) expect(configure, `${file} → ${heading} does not list ${name}`).toContain(`\`${name}\``);
  });
});
