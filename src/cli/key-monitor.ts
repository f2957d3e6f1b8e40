import { parseCommand, UsageError, USAGE, wantsJson } from './args.js';
import { checkCommand } from './check.js';
import { errorJson } from './format.js';
import type { Io } from './io.js';
import { VERSION } from './version.js';

function usageFailure(err: UsageError, argv: readonly string[], io: Io): number {
  io.err(`key-monitor: ${err.message}\nRun "key-monitor --help" for usage.\n`);
  if (wantsJson(argv)) io.out(errorJson('usage', err.message));
  return 2;
}

/**
 * The `key-monitor` dispatcher: parse the command line, run one command, return its exit status.
 * Commands other than check are loaded only when asked for: a check, the common case, starts without them.
 */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  let opts;
  try {
    opts = parseCommand(argv, env);
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(err, argv, io);
    throw err;
  }
  if (opts.command === 'help') {
    io.out(USAGE + '\n');
    return 0;
  }
  if (opts.command === 'version') {
    io.out(`key-monitor ${VERSION}\n`);
    return 0;
  }
  if (opts.command === 'rotate') {
    const { rotateCommand } = await import('./rotate.js');
    return rotateCommand(opts, io);
  }
  if (
    opts.command === 'status' ||
    opts.command === 'mute' ||
    opts.command === 'unmute' ||
    opts.command === 'test-alert' ||
    opts.command === 'nudge' ||
    opts.command === 'verify' ||
    opts.command === 'ack'
  ) {
    const { StackLookupError } = await import('../aws/stack-outputs.js');
    try {
      if (opts.command === 'status') return await (await import('./status.js')).statusCommand(opts, io);
      if (opts.command === 'test-alert') return await (await import('./test-alert.js')).testAlertCommand(opts, io);
      if (opts.command === 'nudge') return await (await import('./nudge.js')).nudgeCommand(opts, io);
      if (opts.command === 'verify') return await (await import('./verify.js')).verifyCommand(opts, io);
      if (opts.command === 'ack') return await (await import('./ack.js')).ackCommand(opts, io, env);
      return await (await import('./mute.js')).muteCommand(opts, io);
    } catch (err) {
      if (err instanceof StackLookupError) return usageFailure(new UsageError(err.message), argv, io);
      const { awsFault } = await import('../aws/aws-calls.js');
      const { errorName } = awsFault(err);
      io.err(`key-monitor: ${opts.command} failed talking to AWS (${errorName}); nothing else was changed\n`);
      if (wantsJson(argv)) io.out(errorJson('internal', `${opts.command} failed talking to AWS (${errorName})`));
      return 1;
    }
  }
  try {
    return await checkCommand(opts, env, io);
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(err, argv, io);
    throw err;
  }
}
