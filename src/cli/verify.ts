import pLimit from 'p-limit';
import { awsDeploymentReads, FunctionAnswerError, type DeploymentReads } from '../aws/deployment-reads.js';
import { findDeployedMonitor, StackLookupError, type DeployedMonitor } from '../aws/stack-outputs.js';
import { displaySafe } from '../exchange/text-safety.js';
import {
  alarmsStep,
  channelsStep,
  checkStep,
  deadLettersStep,
  egressStep,
  probeAnswersStep,
  rotationStep,
  scheduleStep,
  verdictsOf,
  type StepResult,
} from '../monitor/deployment-steps.js';
import { MONITOR_ALARM_NAMES, monitorAlarmName } from '../contract/alarms.js';
import type { VerifyOptions } from './args.js';
import { JSON_SCHEMA_VERSION } from './format.js';
import type { Io } from './io.js';
import { sendTestAlert } from './test-alert.js';

const MARK = { pass: '✅', fail: '❌', warn: '⚠️ ' } as const;
const TITLE: Record<StepResult['step'], string> = {
  check: 'Check every key now (every probe, from the function’s own egress)',
  egress: 'Egress IP the function left from, against the stack’s EgressIps',
  channels: 'A test alert through every channel',
  schedule: 'The schedule',
  alarms: 'The monitor’s own alarms',
  'dead-letters': 'The dead-letter queue',
  rotation: 'Secrets Manager may start each key’s rotation',
  'probe-answers': 'The exchange’s own answers to the probes whose codes are undocumented',
};

/** A step whose AWS read failed: named, with the permission it needs, never a stack trace. */
async function guarded(name: StepResult['step'], what: string, run: () => Promise<StepResult>): Promise<StepResult> {
  try {
    return await run();
  } catch (err) {
    const { awsFault } = await import('../aws/aws-calls.js');
    const { fault, errorName } = awsFault(err);
    const why =
      err instanceof FunctionAnswerError
        ? `${err.message}: see its log in CloudWatch Logs`
        : fault === 'access-denied'
          ? `access denied (${what}; docs/deploy.md → Verify the deployment lists the IAM it needs)`
          : `${what} failed (${errorName})`;
    return {
      step: name,
      status: 'fail',
      lines: [why],
      fix: fault === 'access-denied' ? `grant ${what} to the caller` : 'run key-monitor verify again; if it persists, see the error above',
    };
  }
}

/**
 * `key-monitor verify`: right after `cdk deploy`, prove the deployment step by step (a progress line
 * each) and name the fix for each failed step. Exit 0 only when every step passed.
 */
export async function verifyCommand(opts: VerifyOptions, io: Io, deps: { reads?: DeploymentReads; pollMs?: number } = {}): Promise<number> {
  const deployed: DeployedMonitor = await findDeployedMonitor(opts.stack, opts.timeoutMs);
  if (!deployed.checkFunctionName) throw new StackLookupError(`stack ${deployed.stackName} has no CheckFunctionName output (redeploy it)`);
  const reads = deps.reads ?? awsDeploymentReads(opts.timeoutMs);
  const steps: StepResult[] = [];
  const report = (r: StepResult) => {
    steps.push(r);
    if (opts.json) return;
    io.out(`${MARK[r.status]} ${TITLE[r.step]}\n`);
    for (const l of r.lines) io.out(`${l.startsWith('Fix: ') ? '     ' : '   '}${displaySafe(l, 2_000)}\n`);
    if (r.fix && r.status !== 'pass') io.out(`   → ${displaySafe(r.fix, 1_000)}\n`);
  };
  if (!opts.json) io.out(`Verifying ${deployed.stackName}…\n`);

  let answer: unknown = null;
  const checkName = deployed.checkFunctionName;
  report(
    await guarded('check', `lambda:InvokeFunction on ${checkName}`, async () => {
      answer = await reads.invokeCheck(checkName);
      return checkStep(verdictsOf(answer));
    }),
  );
  const verdicts = verdictsOf(answer);
  report(egressStep(verdicts, deployed.egressIps, deployed.egressMode));
  report(
    await guarded('channels', 'the test alert (sqs:SendMessage, dynamodb:Query)', async () => {
      const outcome = await sendTestAlert(
        deployed,
        { timeoutMs: opts.timeoutMs, waitSeconds: opts.waitSeconds },
        {
          subscriptions: (arn) => reads.subscriptions(arn),
          ...(deps.pollMs !== undefined ? { pollMs: deps.pollMs } : {}),
        },
      );
      return channelsStep(outcome.configured === 0 ? [] : outcome.channels, outcome.unconfirmedEmails);
    }),
  );
  report(
    await guarded('schedule', 'events:DescribeRule, events:ListTargetsByRule', async () => {
      const rule = deployed.scheduleRuleName;
      const [state, targets] = rule ? await Promise.all([reads.ruleState(rule), reads.ruleTargets(rule)]) : ['MISSING', []];
      return scheduleStep(state, rule, targets, checkName);
    }),
  );
  report(
    await guarded('alarms', 'cloudwatch:DescribeAlarms', async () =>
      alarmsStep(deployed.stackName, await reads.alarms(MONITOR_ALARM_NAMES.map((n) => monitorAlarmName(deployed.stackName, n)))),
    ),
  );
  const dlq = deployed.deadLetterQueueArn;
  report(
    await guarded('dead-letters', 'sqs:GetQueueAttributes', async () =>
      dlq ? deadLettersStep(await reads.queueDepth(dlq)) : { step: 'dead-letters', status: 'fail', lines: ['no DeadLetterQueueArn output'], fix: 'redeploy' },
    ),
  );
  report(
    await guarded('rotation', 'lambda:GetPolicy, secretsmanager:DescribeSecret', async () => {
      const policy = deployed.rotationFunctionArn ? await reads.invokePolicy(deployed.rotationFunctionArn) : null;
      // A few at a time: a thousand keys at once would meet Secrets Manager's request rate.
      const limit = pLimit(8);
      const secrets = await Promise.all((verdicts ?? []).map((v) => limit(async () => ({ key: v.key, arn: await reads.secretArn(v.secretId) }))));
      return rotationStep(deployed.rotationFunctionArn, policy, secrets);
    }),
  );
  report(probeAnswersStep(verdicts));

  const ok = steps.every((s) => s.status === 'pass');
  if (opts.json) io.out(JSON.stringify({ schemaVersion: JSON_SCHEMA_VERSION, stack: deployed.stackName, ok, steps }, null, 2) + '\n');
  else
    io.out(
      ok
        ? '\nThe deployment is verified: every step passed.\n'
        : `\n${steps.filter((s) => s.status !== 'pass').length} step(s) need attention (→ lines above).\n`,
    );
  return ok ? 0 : 1;
}
