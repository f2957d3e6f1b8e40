import { main } from './key-monitor.js';

// The only place that touches process state; everything else is testable in-process.
main(process.argv.slice(2), process.env, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) })
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err: unknown) => {
    // A bug, not bad input: say so in one line, never with a stack (it may hold request data).
    process.stderr.write(`key-monitor: internal error (${(err as Error)?.name ?? 'Error'}): ${(err as Error)?.message ?? String(err)}\n`);
    process.exitCode = 1;
  });
