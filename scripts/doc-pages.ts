/**
 * Which section generated from code goes into which file: README.md and the pages in docs/.
 * `npm run docs -- --write` writes them all; test/docs fails when a file drifts from what this prints.
 */
import { COST_MODES, costModel, costTableMarkdown, MODE_LABELS, PRICES, TABLE_SCHEDULE_MINUTES, usd } from '../cdk/cost-model.js';
import { SCENARIOS } from '../src/cli/scenarios.js';
import { VERIFY_IAM_ACTIONS } from '../src/aws/deployment-reads.js';
import { codeMap } from './code-map.js';
import { docSections } from './readme-docs.js';
import { ROOT } from './readme-sections.js';

/** README → Cost: what each egress mode costs a month, fixed and per key, from the cost model. */
export function costSummaryMarkdown(): string {
  const at = (mode: (typeof COST_MODES)[number], keys: number) => costModel({ keys, scheduleMinutes: TABLE_SCHEDULE_MINUTES, mode });
  const lines = [
    `Per month, checked every ${TABLE_SCHEDULE_MINUTES} minutes, us-east-1 list prices, no free tier counted:`,
    '',
    '| Egress mode | Fixed | Each key adds | 1 key | 10 keys |',
    '|---|---:|---:|---:|---:|',
  ];
  for (const mode of COST_MODES) {
    lines.push(
      `| ${MODE_LABELS[mode]} | ${usd(at(mode, 0).base)} | ${usd(at(mode, 1000).perKey, 3)} | ${usd(at(mode, 1).total)} | ${usd(at(mode, 10).total)} |`,
    );
  }
  lines.push('', `Most of what a key adds is its Secrets Manager secret (${usd(PRICES.secretMonth)} a month).`);
  return lines.join('\n');
}

/** docs/cli.md → Sandbox scenarios: every `--sandbox` scenario and the diagnosis it ends in. */
export function scenarioTable(): string {
  const lines = ['| Scenario | Diagnosis it shows |', '|---|---|'];
  for (const [name, s] of Object.entries(SCENARIOS)) lines.push(`| \`${name}\` | \`${s.expect}\` |`);
  return lines.join('\n');
}

/** docs/deploy.md → Verify the deployment: the IAM actions `key-monitor verify` uses, from the adapters' own list. */
export function verifyIamList(): string {
  return [
    '```json',
    JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: [...VERIFY_IAM_ACTIONS], Resource: '*' }] }, null, 2),
    '```',
  ].join('\n');
}

/** Every generated section, by file (relative to the repository root) and section name. */
export async function generatedFiles(): Promise<Record<string, Record<string, string>>> {
  const code = await docSections();
  const pick = (name: string) => {
    const body = code[name];
    if (body === undefined) throw new Error(`scripts/readme-docs.ts generates no "${name}" section`);
    return body;
  };
  return {
    'README.md': { 'cost-summary': costSummaryMarkdown() },
    'docs/cli.md': { scenarios: scenarioTable() },
    'docs/diagnoses.md': { diagnoses: pick('diagnoses') },
    'docs/incidents.md': { 'monitor-alarms': pick('monitor-alarms') },
    'docs/alert-gallery.md': { 'alert-examples': pick('alert-examples') },
    'docs/cost.md': { 'cost-table': costTableMarkdown() },
    'docs/code-map.md': { 'code-map': codeMap(ROOT) },
    'docs/deploy.md': { 'verify-iam': verifyIamList() },
  };
}
