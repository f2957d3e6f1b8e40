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
    expect(sections['alert-examples']).toContain('Subject: [ALERT] trading: IP not whitelisted (40103)');
  });
});
