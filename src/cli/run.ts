// The AWS SDK warns on Node 20 that its 2027 releases will need Node 22. This CLI pins an SDK that
// runs on 20 and documents the supported range (README → Requirements); the notice is not the user's
// problem at the moment they check a key. Set before any SDK module loads.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const { main } = await import('./key-monitor.js');

const write = (stream: NodeJS.WriteStream, text: string) => stream.write(text);

/** Exit once everything written has been flushed: keep-alive sockets or SDK clients must not keep a finished check alive. */
function exit(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

// The only place that touches process state; everything else is testable in-process.
main(process.argv.slice(2), process.env, { out: (t) => write(process.stdout, t), err: (t) => write(process.stderr, t) })
  .then(exit)
  .catch((err: unknown) => {
    // A bug, not bad input: say so in one line, never with a stack (it may hold request data).
    process.stderr.write(`key-monitor: internal error (${(err as Error | null)?.name ?? 'Error'}); please report it with the command you ran\n`);
    exit(1);
  });
