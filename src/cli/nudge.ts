import { findDeployedMonitor, StackLookupError } from '../aws/stack-outputs.js';
import { displaySafe } from '../exchange/text-safety.js';
import type { VerifyResult } from '../monitor/verify-key.js';
import type { NudgeOptions } from './args.js';
import { errorJson, JSON_SCHEMA_VERSION } from './format.js';
import type { Io } from './io.js';

/** How the CLI reaches the verify function (an IAM-authorised invoke in use; the handler in process in tests). */
export type VerifyInvoker = (functionName: string, payload: { key: string; reason?: string }) => Promise<unknown>;

const defaultInvoker: VerifyInvoker = async (name, payload) => (await import('../aws/verify-invoke.js')).invokeVerify(name, payload);

function isVerifyResult(v: unknown): v is VerifyResult {
  const s = (v as { status?: unknown } | null)?.status;
  return s === 'verified' || s === 'already-verifying' || s === 'refused' || s === 'ignored';
}

/**
 * `key-monitor nudge --key NAME`: the verification a bot's log line starts, asked for by hand or by
 * a script (exit status for scripts). The function answers with the monitor's own verdict; any
 * incident it opened is on its way to the channels already.
 */
export async function nudgeCommand(opts: NudgeOptions, io: Io, invoke: VerifyInvoker = defaultInvoker): Promise<number> {
  const deployed = await findDeployedMonitor(opts.stack, opts.timeoutMs);
  if (!deployed.verifyFunctionName)
    throw new StackLookupError(`stack ${deployed.stackName} has no VerifyFunctionName output: it was deployed before nudge existed (redeploy it)`);
  let answer: unknown;
  try {
    answer = await invoke(deployed.verifyFunctionName, { key: opts.key, ...(opts.reason ? { reason: opts.reason } : {}) });
  } catch (err) {
    const { awsFault } = await import('../aws/aws-calls.js');
    const { fault, errorName } = awsFault(err);
    const why =
      fault === 'access-denied'
        ? `access denied invoking ${deployed.verifyFunctionName} (lambda:InvokeFunction; the construct's grantNudge gives it)`
        : errorName === 'VerifyFunctionError'
          ? `${(err as Error).message}; see its log`
          : `no answer from the verify function (${errorName})`;
    io.err(`key-monitor: nudge: ${why}\n`);
    if (opts.json) io.out(errorJson('internal', why));
    return 4;
  }
  if (!isVerifyResult(answer)) {
    io.err('key-monitor: nudge: the verify function answered with something that is not a verdict\n');
    if (opts.json) io.out(errorJson('internal', 'the verify function answered with something that is not a verdict'));
    return 4;
  }
  if (opts.json) io.out(JSON.stringify({ schemaVersion: JSON_SCHEMA_VERSION, stack: deployed.stackName, ...answer }, null, 2) + '\n');
  switch (answer.status) {
    case 'refused':
    case 'ignored': {
      const why = answer.status === 'refused' ? displaySafe(answer.error, 200) : 'the verify function ignored the request';
      if (!opts.json) io.err(`key-monitor: nudge: ${why}\n`);
      return 2;
    }
    case 'already-verifying':
      if (!opts.json) io.out(`A verification of ${opts.key} is already under way (at most one a minute per key); what it finds goes to the channels.\n`);
      return 3;
    case 'verified': {
      if (!opts.json) {
        const who = `${answer.key}${answer.keyPrefix ? ` (key ${displaySafe(answer.keyPrefix, 8)}…)` : ''}`;
        const from = answer.egressIp ? ` from ${displaySafe(answer.egressIp, 45)}` : '';
        const lines = [`Verified ${who}${from}: ${answer.diagnosis} — ${displaySafe(answer.title, 200)}`];
        if (!answer.healthy) lines.push(`Fix: ${displaySafe(answer.advice, 1200)}`);
        if (answer.notified.length > 0)
          lines.push(`Alert queued for the channels (${answer.notified.length} notification${answer.notified.length > 1 ? 's' : ''}).`);
        if (answer.note) lines.push(`Note: ${displaySafe(answer.note, 300)}`);
        io.out(lines.join('\n') + '\n');
      }
      return answer.healthy ? 0 : 1;
    }
  }
}
