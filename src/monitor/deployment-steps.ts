/**
 * `key-monitor verify`, judged: each step's verdict from what the AWS reads saw, with the fix for
 * each failure. Pure: the reads are src/aws/deployment-reads.ts, the wiring src/cli/verify.ts.
 */
import type { KeyVerdict, ProbeAnswer } from '../contract/deployment-check.js';
import { MONITOR_ALARM_NAMES, monitorAlarmName } from '../contract/alarms.js';

export type StepStatus = 'pass' | 'fail' | 'warn';

export interface StepResult {
  readonly step: 'check' | 'egress' | 'channels' | 'schedule' | 'alarms' | 'dead-letters' | 'rotation' | 'probe-answers';
  readonly status: StepStatus;
  /** What was seen, one line each. */
  readonly lines: readonly string[];
  /** What to do, for a failed or warned step. */
  readonly fix: string | null;
}

const step = (s: StepResult['step'], status: StepStatus, lines: string[], fix: string | null = null): StepResult => ({ step: s, status, lines, fix });

/** The check function's answer, if it is one: every key's verdict. */
export function verdictsOf(answer: unknown): KeyVerdict[] | null {
  const keys = (answer as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) return null;
  const whole = keys.every(
    (k) =>
      typeof k === 'object' &&
      k !== null &&
      typeof (k as KeyVerdict).key === 'string' &&
      typeof (k as KeyVerdict).diagnosis === 'string' &&
      typeof (k as KeyVerdict).healthy === 'boolean' &&
      Array.isArray((k as KeyVerdict).probes),
  );
  return whole ? (keys as KeyVerdict[]) : null;
}

export function checkStep(verdicts: readonly KeyVerdict[] | null): StepResult {
  if (!verdicts)
    return step(
      'check',
      'fail',
      ['the check function answered with something that is not a deployment check'],
      'redeploy: the function is older than this CLI',
    );
  if (verdicts.length === 0) return step('check', 'fail', ['no key is monitored'], 'deploy with -c keys=[…] (README → Configure)');
  const lines = verdicts.flatMap((v) => [
    `${v.healthy ? '✅' : '❌'} ${v.key}${v.keyPrefix ? ` (key ${v.keyPrefix}…)` : ''}: ${v.diagnosis} — ${v.title}`,
    ...(v.healthy ? [] : [`Fix: ${v.advice}`]),
  ]);
  const bad = verdicts.filter((v) => !v.healthy);
  return bad.length === 0
    ? step('check', 'pass', lines)
    : step('check', 'fail', lines, `${bad.length} of ${verdicts.length} keys are not healthy: each Fix line above says what to do`);
}

const EGRESS_FIX: Record<string, string> = {
  'own-nat':
    'the function leaves through the stack’s own NAT: check that its subnets route 0.0.0.0/0 to the NAT holding the Elastic IP, and whitelist that IP (the EgressIps output) on every key',
  'existing-vpc':
    'the function leaves through your VPC’s NAT: check that the subnets you gave (privateSubnetIds) route 0.0.0.0/0 to the NAT whose public IP you gave as egressIps, or correct egressIps to the IP seen here and redeploy',
  proxy: 'the function leaves through your proxy: check proxyUrl, and that egressIps is the IP the proxy host leaves from (the IP seen here), then redeploy',
};

/** A step that needs the check's answer says so when there is none: never a pass on nothing. */
const NOT_JUDGED = 'not judged: the check step has no answer to judge by';
const FIX_CHECK_FIRST = 'fix the check step first, then run key-monitor verify again';

export function egressStep(verdicts: readonly KeyVerdict[] | null, expected: readonly string[], mode: string | null): StepResult {
  if (!verdicts || verdicts.length === 0) return step('egress', 'fail', [NOT_JUDGED], FIX_CHECK_FIRST);
  const seen = [...new Set((verdicts ?? []).map((v) => v.egressIp).filter((ip): ip is string => ip !== null))];
  if (seen.length === 0)
    return step(
      'egress',
      'fail',
      ['the check did not see its own egress IP (the IP echo did not answer)'],
      'see the check function’s log: the IP echo (ipEchoUrl) must be reachable from it',
    );
  const stray = seen.filter((ip) => !expected.includes(ip));
  const line = `left from ${seen.join(', ')}; the stack says ${expected.length > 0 ? expected.join(', ') : 'nothing'} (EgressIps)`;
  if (stray.length === 0) return step('egress', 'pass', [line]);
  return step('egress', 'fail', [line], EGRESS_FIX[mode ?? ''] ?? `whitelist ${stray.join(', ')} or correct the stack’s egress settings`);
}

export interface ChannelOutcome {
  readonly channel: string;
  readonly result: 'delivered' | 'failed' | 'pending';
  readonly detail: string;
}

export function channelsStep(results: readonly ChannelOutcome[], unconfirmedEmails: readonly string[]): StepResult {
  if (results.length === 0)
    return step(
      'channels',
      'fail',
      ['no channel is configured: no alert reaches anyone'],
      'deploy with -c alertEmail=you@example.com, or fill the channels secret (README → Channels)',
    );
  const lines = results.map((r) => `${r.result === 'delivered' ? '✅' : r.result === 'failed' ? '❌' : '⏳'} ${r.channel}: ${r.detail}`);
  if (unconfirmedEmails.length > 0)
    return step(
      'channels',
      'fail',
      [...lines, `email subscription pending confirmation: ${unconfirmedEmails.join(', ')}`],
      'open the "AWS Notification - Subscription Confirmation" email and click Confirm subscription: until then SNS drops every alert to that address (no confirmation email? subscribe it again in the SNS console)',
    );
  const failed = results.filter((r) => r.result !== 'delivered');
  return failed.length === 0
    ? step('channels', 'pass', lines)
    : step('channels', 'fail', lines, `${failed.map((r) => r.channel).join(', ')}: fix what the line says, then run key-monitor test-alert`);
}

/** A Lambda ARN's function name (`arn:aws:lambda:region:account:function:NAME[:qualifier]`), or null. */
function lambdaFunctionName(arn: string): string | null {
  const parts = arn.split(':');
  return parts[2] === 'lambda' && parts[5] === 'function' && parts[6] ? parts[6] : null;
}

/**
 * Enabled is not enough: a rule that no longer targets the check function runs nothing, so the
 * step passes only when the rule is enabled and one of its targets is that function.
 */
export function scheduleStep(state: string, ruleName: string | null, targets: readonly string[], checkFunctionName: string): StepResult {
  if (!ruleName) return step('schedule', 'fail', ['the stack has no ScheduleRuleName output'], 'redeploy: the stack is older than this CLI');
  if (state === 'MISSING') return step('schedule', 'fail', [`${ruleName} does not exist`], 'redeploy the stack: its schedule rule was deleted');
  const runsCheck = targets.some((arn) => lambdaFunctionName(arn) === checkFunctionName);
  const targetLine = runsCheck
    ? `${ruleName} runs ${checkFunctionName}`
    : `${ruleName} does not run ${checkFunctionName} (${targets.length === 0 ? 'it has no target' : `its targets: ${targets.join(', ')}`})`;
  if (state !== 'ENABLED')
    return step(
      'schedule',
      'fail',
      [`${ruleName} is ${state}: no check runs`, targetLine],
      runsCheck ? `aws events enable-rule --name ${ruleName}` : 'redeploy the stack: it restores the rule and its target',
    );
  if (!runsCheck) return step('schedule', 'fail', [`${ruleName} is enabled`, targetLine], "redeploy the stack: it restores the rule's target");
  return step('schedule', 'pass', [`${ruleName} is enabled and runs ${checkFunctionName}`]);
}

export function alarmsStep(prefix: string, seen: readonly { name: string; actionsEnabled: boolean; alarmActions: number }[]): StepResult {
  const lines: string[] = [];
  const problems: string[] = [];
  for (const n of MONITOR_ALARM_NAMES) {
    const name = monitorAlarmName(prefix, n);
    const a = seen.find((x) => x.name === name);
    if (!a) problems.push(`${name} is missing`);
    else if (!a.actionsEnabled) problems.push(`${name} has its actions disabled`);
    else if (a.alarmActions === 0) problems.push(`${name} notifies no one (no alarm action)`);
    else lines.push(`✅ ${name}`);
  }
  if (problems.length === 0) return step('alarms', 'pass', [`all ${MONITOR_ALARM_NAMES.length} monitor alarms exist and notify`]);
  const disabled = problems.filter((p) => p.endsWith('actions disabled')).map((p) => p.split(' ')[0]);
  return step(
    'alarms',
    'fail',
    problems.map((p) => `❌ ${p}`),
    disabled.length === problems.length
      ? `aws cloudwatch enable-alarm-actions --alarm-names ${disabled.join(' ')}`
      : 'redeploy the stack: it creates every monitor alarm with its action (a missing one was deleted or renamed by hand)',
  );
}

export function deadLettersStep(depth: number): StepResult {
  if (depth === 0) return step('dead-letters', 'pass', ['the dead-letter queue is empty']);
  return step(
    'dead-letters',
    'fail',
    [`${depth} notification${depth === 1 ? '' : 's'} could not be delivered (dead-letter queue)`],
    'read them in the SQS console (DeadLetterQueueArn output) to see which channel refused; fix it, then redrive them to the notification queue (SQS → Start DLQ redrive)',
  );
}

/** An IAM ARN pattern (`*`, `?`) as a test. */
const arnMatches = (pattern: string, arn: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(arn);

interface Statement {
  readonly Effect?: string;
  readonly Principal?: string | { Service?: string | string[] };
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/** Which secrets Secrets Manager may invoke the rotation function for, by its resource policy. */
function rotationAllows(policy: string | null, secretArn: string): boolean {
  if (!policy) return false;
  let statements: Statement[];
  try {
    statements = (JSON.parse(policy) as { Statement?: Statement[] }).Statement ?? [];
  } catch {
    return false;
  }
  return statements.some((s) => {
    const principal = typeof s.Principal === 'string' ? s.Principal : s.Principal?.Service;
    const services = Array.isArray(principal) ? principal : [principal];
    if (s.Effect !== 'Allow' || !services.includes('secretsmanager.amazonaws.com')) return false;
    const sources = Object.values(s.Condition ?? {})
      .map((c) => c['AWS:SourceArn'] ?? c['aws:SourceArn'])
      .filter((v): v is string | string[] => v !== undefined)
      .flat();
    return sources.length === 0 || sources.some((p) => arnMatches(p, secretArn));
  });
}

export function rotationStep(functionArn: string | null, policy: string | null, secrets: readonly { key: string; arn: string | null }[]): StepResult {
  if (!functionArn) return step('rotation', 'fail', ['the stack has no RotationFunctionArn output'], 'redeploy: the stack is older than this CLI');
  if (secrets.length === 0) return step('rotation', 'fail', [NOT_JUDGED], FIX_CHECK_FIRST);
  const missing = secrets.filter((s) => s.arn === null);
  const denied = secrets.filter((s) => s.arn !== null && !rotationAllows(policy, s.arn));
  const lines = secrets.map((s) =>
    s.arn === null
      ? `❌ ${s.key}: its secret does not exist`
      : `${denied.includes(s) ? '❌' : '✅'} ${s.key}: Secrets Manager ${denied.includes(s) ? 'may not' : 'may'} start its rotation`,
  );
  if (missing.length === 0 && denied.length === 0) return step('rotation', 'pass', lines);
  return step(
    'rotation',
    'fail',
    lines,
    missing.length > 0
      ? `create the missing secret${missing.length > 1 ? 's' : ''} (or correct the key's secretName) and redeploy`
      : 'redeploy the stack: its rotation permission lists each monitored secret (a secret moved or renamed since the deploy is not covered)',
  );
}

const probeLine = (p: ProbeAnswer) =>
  `${p.probe}: ${p.httpStatus === null ? 'no HTTP answer' : `HTTP ${p.httpStatus}`}${p.code === null ? '' : `, code ${p.code}`} — ${p.detail}`;

/** The exchange's own answers to the probes whose codes are undocumented, to confirm once on a live key. */
export function probeAnswersStep(verdicts: readonly KeyVerdict[] | null): StepResult {
  const lines = (verdicts ?? []).flatMap((v) => v.probes.map((p) => `${v.key} ${probeLine(p)}`));
  const undetermined = (verdicts ?? []).some((v) => v.probes.some((p) => p.status !== 'pass' && p.status !== 'fail'));
  if (lines.length === 0) return step('probe-answers', 'fail', [NOT_JUDGED], FIX_CHECK_FIRST);
  return undetermined
    ? step(
        'probe-answers',
        'warn',
        lines,
        'a probe proved nothing (see its line): run key-monitor verify again; if it stays so, the exchange answered in a way this version does not know: keep this output for a bug report',
      )
    : step('probe-answers', 'pass', lines);
}
