/**
 * Documentation sections generated from code: the diagnosis table, the monitor's own alarms, and
 * example alerts rendered by the real pipeline: real checks against the loopback sandbox exchange →
 * incident rules → messages → the email and Telegram renderers. scripts/doc-pages.ts places them in
 * docs/; `npm run docs -- --write` rewrites them, and a test fails when a page drifts from this.
 */
import { MONITOR_ALARMS, alarmText } from '../cdk/constructs/monitor-alarms.js';
import type { Notification } from '../src/contract/notification.js';
import { emailChannel } from '../src/channels/email.js';
import { telegramChannel } from '../src/channels/telegram.js';
import { testNotification } from '../src/cli/test-alert.js';
import { alarmToNotification } from '../src/monitor/alarm-notification.js';
import { acknowledgedNotification } from '../src/monitor/ack-message.js';
import { runChecks, type CheckTarget } from '../src/monitor/checks.js';
import { checkClient } from '../src/monitor/check-client.js';
import { parseSecretString } from '../src/monitor/credentials.js';
import { DIAGNOSIS_TABLE } from '../src/monitor/diagnosis-table.js';
import { notificationFor, type MessageContext } from '../src/monitor/incident-messages.js';
import { keyRun } from '../src/monitor/incident-run.js';
import { decideRun, type IncidentEvent, type IncidentPolicy } from '../src/monitor/incident-rules.js';
import { NEW_MONITOR_STATE, type KeyRun, type KeyState, type MonitorState } from '../src/monitor/incident-state.js';
import { notificationLinks } from '../src/monitor/links.js';
import { parseAnnouncements } from '../src/monitor/maintenance.js';
import type { Diagnosis } from '../src/monitor/types.js';
import { SECURITY_DIAGNOSES } from '../src/monitor/security-findings.js';
import { securityFindings, securitySettingsOf } from '../src/monitor/security-watch.js';
import { startSandbox, type Behaviour, type Sandbox } from '../src/sandbox/exchange.js';
import { DEFAULT_STACK_NAME } from '../src/contract/stack.js';
import { DEFAULT_INCIDENT_POLICY } from '../src/contract/defaults.js';

const IP = '203.0.113.7';
const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const MIN = 60_000;
const STACK = DEFAULT_STACK_NAME;
// As the stack builds it (exchange-key-monitor.ts → dashboardUrl).
const DASHBOARD = `https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/${STACK}`;
// The deployed defaults.
const POLICY: IncidentPolicy = { ...DEFAULT_INCIDENT_POLICY, remindEveryMs: DEFAULT_INCIDENT_POLICY.remindEveryHours * 60 * MIN };
const MESSAGES: MessageContext = {
  source: STACK,
  expectedIps: [IP],
  links: (key) => notificationLinks({ region: 'us-east-1', dashboardUrl: DASHBOARD, checkLogGroup: '/aws/lambda/ExchangeKeyMonitor-CheckFunction' }, key),
};

// A `<placeholder>` outside a code span would reach GitHub as an HTML tag and vanish: shown as text.
const cell = (s: string) =>
  s
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/</g, '&lt;')))
    .join('')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');

/** Every diagnosis, most fundamental first, with the fix as an alert states it on AWS. */
export function diagnosesTable(): string {
  const rows = (Object.entries(DIAGNOSIS_TABLE) as [Diagnosis, (typeof DIAGNOSIS_TABLE)[Diagnosis]][]).sort((a, b) => a[1].precedence - b[1].precedence);
  const lines = ['| Diagnosis | Exchange codes / HTTP | Kind | What it means | Fix (as the alert says it) |', '|---|---|---|---|---|'];
  for (const [name, spec] of rows) {
    const codes = [...spec.codes.map(String), ...spec.httpStatuses.map((s) => `HTTP ${s}`)].join(', ') || '—';
    const kind =
      name === 'OK'
        ? '—'
        : (SECURITY_DIAGNOSES as readonly string[]).includes(name)
          ? 'security finding: opens the key’s security incident ([security watch](security-watch.md))'
          : `${spec.transient ? 'clears on its own: opens after it persists' : 'verdict: opens at once'}${spec.sharedCause ? '; shared (one incident for all keys)' : ''}`;
    // A mismatch needs an egress IP other than the whitelisted one to read right.
    const egressIp = name === 'EGRESS_IP_MISMATCH' ? '198.51.100.23' : IP;
    const advice = spec.advice({ egressIp, expectedIps: [IP], keyPrefix: 'Ab3x', detail: '‹what the check saw›', site: 'aws' });
    lines.push(`| \`${name}\` | ${cell(codes)} | ${kind} | ${cell(spec.title)} | ${cell(advice)} |`);
  }
  return lines.join('\n');
}

export function monitorAlarmsTable(): string {
  const lines = ['| Alarm | Fires when | Goes to | What to do (the alarm’s text) |', '|---|---|---|---|'];
  for (const a of MONITOR_ALARMS) lines.push(`| \`<stack>-${a.name}\` | ${cell(a.firesWhen)} | ${cell(a.goesTo)} | ${cell(a.description)} |`);
  return lines.join('\n');
}

/** Drives the incident rules run after run, as the scheduled Lambda does. */
class Runs {
  keys = new Map<string, KeyState>();
  monitor: MonitorState = NEW_MONITOR_STATE;
  at(now: number, runs: KeyRun[]): IncidentEvent[] {
    const d = decideRun({ now, policy: POLICY, runs, keyStates: this.keys, monitor: this.monitor });
    this.keys = new Map(d.keyStates);
    this.monitor = d.monitor;
    return [...d.events];
  }
}

async function check(target: CheckTarget, sandbox: Sandbox, name: string, behaviour: Behaviour): Promise<KeyRun> {
  const report = await runChecks({
    ...target,
    credentials: parseSecretString(JSON.stringify(sandbox.credentials(behaviour))),
    expectTrade: true,
    withdrawProbe: { kind: 'now' },
  });
  return keyRun({ key: { name, secretId: `prod/${name}`, expectTrade: true }, report, keyAgeDays: 12, elapsedMs: 0 }, [IP]);
}

/**
 * What differs from run to run is pinned so the README does not change: sandbox keys are random (a
 * fixed prefix is shown), the loopback clock skew is a few milliseconds either way, test ids are UUIDs.
 */
const steady = (text: string) =>
  text
    .replace(/sbx[0-9a-z](?=…)/g, 'sbx1')
    .replace(/(Clock skew:<\/b> |Clock skew: +)[+−]\d+\.\d s/g, '$1+0.0 s')
    .replace(/test:[0-9a-f-]{36}/g, 'test:5f0c2a9e-1d2b-4c3d-8e4f-0a1b2c3d4e5f');

function email(n: Notification): string {
  const m = emailChannel({ topicArn: 'arn:aws:sns:us-east-1:123456789012:alerts' }).build(n);
  return steady(`Subject: ${m.subject ?? ''}\n\n${m.message}`).trimEnd();
}

function telegram(n: Notification): string {
  const spec = telegramChannel({ botToken: '123456:example', chatId: '-1001234567890' }).build(n, T0);
  return steady(String((JSON.parse(spec.body) as { text: string }).text));
}

/** One message as email and as Telegram (the chat channel shown; Slack, Discord and Teams carry the same parts). */
function example(title: string, n: Notification, open = false): string {
  return [
    `<details${open ? ' open' : ''}><summary><b>${title}</b></summary>`,
    '',
    'Email:',
    '',
    '```text',
    email(n),
    '```',
    '',
    'Telegram (HTML as sent):',
    '',
    '```html',
    telegram(n),
    '```',
    '',
    '</details>',
  ].join('\n');
}

export async function alertExamples(): Promise<string> {
  const sandbox = await startSandbox({ egressIp: IP });
  const exchange = checkClient({ baseUrl: sandbox.baseUrl(), timeoutMs: 2_000 });
  const target: CheckTarget = { expectedIps: [IP], ipEchoUrl: sandbox.ipEchoUrl, exchange, site: 'aws' };
  try {
    const out: string[] = [];
    const key = new Runs();
    const [opened] = key.at(T0, [await check(target, sandbox, 'trading', 'bad-secret')]);
    key.at(T0 + 5 * MIN, [await check(target, sandbox, 'trading', 'bad-secret')]);
    const [changed] = key.at(T0 + 10 * MIN, [await check(target, sandbox, 'trading', 'ip-not-whitelisted')]);
    const reminder = key.at(T0 + 250 * MIN, [await check(target, sandbox, 'trading', 'ip-not-whitelisted')]).find((e) => e.kind === 'reminder');
    const [resolved] = key.at(T0 + 275 * MIN, [await check(target, sandbox, 'trading', 'healthy')]);
    if (!opened || changed?.kind !== 'changed' || !reminder || !resolved) throw new Error('the key incident example did not open, change, remind and resolve');
    out.push(example('A key incident opens', notificationFor(opened, T0, MESSAGES), true));
    out.push(example('Its diagnosis changes', notificationFor(changed, T0 + 10 * MIN, MESSAGES)));
    out.push(example('Reminder while it stays open', notificationFor(reminder, T0 + 250 * MIN, MESSAGES)));
    const onIt = { ...changed.incident, ack: { by: 'Ann', at: T0 + 260 * MIN, note: 'rotating the key now', via: 'link' as const } };
    out.push(
      example(
        'Someone is on it (key-monitor ack, or the Acknowledge link)',
        acknowledgedNotification(changed.scope, onIt, { source: MESSAGES.source, links: MESSAGES.links('trading') }),
      ),
    );
    out.push(example('Resolved, with the duration', notificationFor(resolved, T0 + 275 * MIN, MESSAGES)));

    // The snapshot a good check reads is what a later alert says was open: the same call the Lambda makes.
    const exposed = await runChecks({
      ...target,
      credentials: parseSecretString(JSON.stringify(sandbox.credentials('open-exposure'))),
      expectTrade: true,
      withdrawProbe: { kind: 'now' },
      now: () => T0 - 3 * MIN,
    });
    const risk = new Runs();
    const [atRisk] = risk.at(T0, [await check(target, sandbox, 'grid-bot', 'ip-not-whitelisted')]);
    if (!atRisk || !exposed.exposure) throw new Error('the exposure example did not open');
    out.push(example('A key with open orders stops working: what is at risk', notificationFor(atRisk, T0, { ...MESSAGES, exposure: () => exposed.exposure })));

    const audit = new Runs();
    const [withdraw] = audit.at(T0, [await check(target, sandbox, 'bot2', 'withdraw-enabled')]);
    if (!withdraw) throw new Error('the withdraw example did not open');
    out.push(example('A key that can withdraw', notificationFor(withdraw, T0, MESSAGES)));

    // A withdrawal made on the account (another key, the web app) between two looks at its history.
    const vault = sandbox.mint('healthy');
    sandbox.recordWithdrawal(vault.apiKey, {
      id: '2615830012',
      client_wid: 'web-1',
      currency: 'BTC',
      amount: 0.5,
      address: 'bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh',
      network_id: 'BTC',
      status: '5',
      create_time: T0 - 20 * MIN,
    });
    const watched = await runChecks({
      ...target,
      credentials: parseSecretString(JSON.stringify(vault)),
      expectTrade: true,
      withdrawProbe: { kind: 'off' },
      withdrawals: {
        plan: { kind: 'read', cursor: { since: T0 - 60 * MIN, ids: [] } },
        allowance: { expectWithdraw: false, addresses: [], clientWidPrefix: null },
      },
      now: () => T0,
    });
    const vaultKey = { name: 'vault', secretId: 'prod/vault', expectTrade: true };
    const found = securityFindings({ settings: securitySettingsOf(vaultKey), report: watched, now: T0, lastBalance: undefined });
    const [withdrawal] = new Runs().at(T0, [{ ...keyRun({ key: vaultKey, report: watched, keyAgeDays: 12, elapsedMs: 0 }, [IP]), security: found }]);
    if (!withdrawal) throw new Error('the withdrawal example did not open');
    out.push(example('A withdrawal left the account (security watch)', notificationFor(withdrawal, T0, MESSAGES)));

    const all = new Runs();
    const outage = async () => Promise.all(['trading', 'bot2', 'reporting'].map((k) => check(target, sandbox, k, 'healthy')));
    sandbox.outage('unavailable');
    all.at(T0, await outage());
    const [shared] = all.at(T0 + 5 * MIN, await outage());
    sandbox.outage(null);
    if (!shared) throw new Error('the shared-cause example did not open');
    out.push(example('One incident for one root cause: the exchange is down for every key', notificationFor(shared, T0 + 5 * MIN, MESSAGES)));

    sandbox.announce({
      id: 'm-1',
      category: 'system',
      title: 'Scheduled system upgrade',
      start_time: T0 + 26 * 60 * MIN,
      end_time: T0 + 28 * 60 * MIN,
      impacted_params: { spot_trading_impacted: 'FULL' },
    });
    const announced = parseAnnouncements((await target.exchange.getText(`${sandbox.announcementsUrl}?category=system`)).text, T0) ?? [];
    const maint = new Runs();
    maint.monitor = { ...maint.monitor, maintenance: { fetchedAt: T0, windows: announced, notified: [] } };
    const [maintenance] = maint.at(T0, [await check(target, sandbox, 'trading', 'healthy')]);
    if (!maintenance) throw new Error('the maintenance example did not announce');
    out.push(example('Announced exchange maintenance', notificationFor(maintenance, T0, MESSAGES)));

    const heartbeat = alarmToNotification(
      {
        AlarmName: `${STACK}-HEARTBEAT`,
        AlarmDescription: alarmText('HEARTBEAT'),
        NewStateValue: 'ALARM',
        OldStateValue: 'OK',
        NewStateReason: 'Threshold Crossed: 2 out of the last 3 datapoints were less than the threshold (1.0).',
        StateChangeTime: '2026-12-01T10:15:00.000+0000',
        Region: 'US East (N. Virginia)',
        AlarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${STACK}-HEARTBEAT`,
      },
      { source: STACK, dashboardUrl: DASHBOARD },
    );
    if (heartbeat.kind !== 'notification') throw new Error('the heartbeat example is not an alarm');
    out.push(example('The monitor itself is down (no check ran)', heartbeat.notification));
    out.push(example('key-monitor test-alert', testNotification({ stackName: STACK, dashboardUrl: DASHBOARD } as Parameters<typeof testNotification>[0], T0)));
    return out.join('\n\n');
  } finally {
    await exchange.close();
    await sandbox.close();
  }
}

export async function docSections(): Promise<Record<string, string>> {
  return { diagnoses: diagnosesTable(), 'monitor-alarms': monitorAlarmsTable(), 'alert-examples': await alertExamples() };
}
