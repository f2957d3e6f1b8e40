// Runs the bundled check Lambda the way the Lambda runtime does: a fresh Node process imports the
// bundle, then invokes the handler. Plain JS on purpose: no TypeScript loader in the measurement.
//
//   node scripts/bench-child.mjs init <bundle> <out.json>
//   node scripts/bench-child.mjs run  <bundle> <out.json> <warm runs>
//
// `run` invokes the handler once cold and then <warm runs> times warm, and records for every run:
// wall and CPU time, what the handler returned, the diagnoses of its per-key log lines, and where the
// time went (AWS SDK calls and exchange requests, seen through Node's diagnostics channels, which
// both the bundled undici and node:http publish to: nothing in the bundle is changed or wrapped).
// Environment: BENCH_REMAINING_MS, what context.getRemainingTimeInMillis() answers at the start of
// a run (the function's timeout).
import { loadWhatTheLambdaRuntimeHasLoaded } from './lambda-runtime-preload.mjs';

// Node's built-ins as the runtime takes them, by their CommonJS exports: an ESM `import` of node:fs
// would build its whole namespace (fs/promises, readline…) before the timer, work the bundle's own
// `import … from 'node:fs'` then finds done and the runtime never does.
const diagnostics = process.getBuiltinModule('node:diagnostics_channel');
const { readFileSync, writeFileSync } = process.getBuiltinModule('node:fs');
const { pathToFileURL } = process.getBuiltinModule('node:url');

const [mode, bundle, out, runs = '0'] = process.argv.slice(2);

// BENCH_CLOCK_STEP_MS: each warm run sees the clock that much later than the run before, as a
// schedule's runs do (the probe cadence and the run records go by it). Set before the bundle is
// imported, so the handler's clock is this one.
const clockStepMs = Number(process.env.BENCH_CLOCK_STEP_MS ?? 0);
let clockOffsetMs = 0;
if (clockStepMs > 0) {
  const realNow = Date.now;
  Date.now = () => realNow() + clockOffsetMs;
}
const budgetMs = Number(process.env.BENCH_REMAINING_MS ?? 60_000);

// ---- What one run did, from the outside -------------------------------------------------------
let run = null;
const newRun = (t0) => ({
  t0,
  aws: { count: 0, errors: 0, firstStart: null, lastFinish: null, byOperation: {} },
  exchange: {
    count: 0,
    private: 0,
    public: 0,
    firstPrivate: null,
    lastDone: null,
    inFlight: 0,
    maxInFlight: 0,
    onWire: 0,
    maxOnWire: 0,
    busyMs: 0,
    serverMs: [],
    connections: 0,
    byMethod: {},
    byStatus: {},
  },
  errorCodes: {},
  log: { lines: 0, keyLines: 0, diagnoses: {}, errors: 0, emfileMentions: 0, keyElapsedMs: [] },
});
const now = () => performance.now();
const rel = (t) => t - run.t0;
const errorCode = (err) => String(err?.code ?? err?.cause?.code ?? err?.name ?? 'Error');
const noteError = (err) => {
  if (!run) return;
  const code = errorCode(err);
  run.errorCodes[code] = (run.errorCodes[code] ?? 0) + 1;
};

// BENCH_LEAN=1: count exchange requests by method and nothing more (timings per request cost CPU
// inside the process whose CPU is being measured).
const lean = process.env.BENCH_LEAN === '1';
const exchangeRequests = new WeakMap();
diagnostics.subscribe('undici:request:create', ({ request }) => {
  if (!run) return;
  const path = String(request.path ?? '').split('?')[0];
  const method = /\/(public|private)\/[a-z-]+$/.exec(path)?.[0]?.slice(1) ?? (path.endsWith('/ip') ? 'ip echo' : path);
  const isPrivate = method.startsWith('private/');
  if (lean) {
    run.exchange.count++;
    run.exchange.byMethod[method] = (run.exchange.byMethod[method] ?? 0) + 1;
    if (isPrivate) run.exchange.private++;
    return;
  }
  exchangeRequests.set(request, { created: now(), sent: null, headers: null });
  const x = run.exchange;
  x.count++;
  x.byMethod[method] = (x.byMethod[method] ?? 0) + 1;
  if (isPrivate) {
    x.private++;
    x.firstPrivate ??= rel(now());
  } else x.public++;
  x.maxInFlight = Math.max(x.maxInFlight, ++x.inFlight);
});
diagnostics.subscribe('undici:client:sendHeaders', ({ request }) => {
  const r = exchangeRequests.get(request);
  if (!r || !run) return;
  r.sent = now();
  run.exchange.maxOnWire = Math.max(run.exchange.maxOnWire, ++run.exchange.onWire);
});
diagnostics.subscribe('undici:request:headers', ({ request, response }) => {
  const r = exchangeRequests.get(request);
  if (!r || !run) return;
  r.headers = now();
  const status = String(response?.statusCode ?? '?');
  run.exchange.byStatus[status] = (run.exchange.byStatus[status] ?? 0) + 1;
});
const requestDone = (request, err) => {
  const r = exchangeRequests.get(request);
  if (!r || !run) return;
  exchangeRequests.delete(request);
  const t = now();
  const x = run.exchange;
  x.inFlight--;
  if (r.sent !== null) {
    x.onWire--;
    x.busyMs += t - r.sent;
    if (r.headers !== null) x.serverMs.push(r.headers - r.sent);
  }
  x.lastDone = rel(t);
  if (err) noteError(err);
};
diagnostics.subscribe('undici:request:trailers', ({ request }) => requestDone(request));
diagnostics.subscribe('undici:request:error', ({ request, error }) => requestDone(request, error));
diagnostics.subscribe('undici:client:connected', () => run && run.exchange.connections++);
diagnostics.subscribe('undici:client:connectError', ({ error }) => noteError(error));
// The AWS SDK (Secrets Manager; DynamoDB and SQS with incidents) goes through node:http.
const awsRequests = new WeakMap();
const awsOperation = (request) => {
  const target = request.getHeader?.('x-amz-target');
  if (typeof target === 'string') return target.replace(/^[A-Za-z0-9_]+\./, '');
  return request.host ? `${request.method} ${request.path?.split('?')[0] ?? ''}` : 'other';
};
diagnostics.subscribe('http.client.request.start', ({ request }) => {
  if (!run) return;
  run.aws.count++;
  run.aws.firstStart ??= rel(now());
  awsRequests.set(request, { t: now(), op: awsOperation(request) });
});
const awsDone = (request) => {
  const r = awsRequests.get(request);
  if (!r || !run) return;
  awsRequests.delete(request);
  const op = (run.aws.byOperation[r.op] ??= { count: 0, ms: [] });
  op.count++;
  op.ms.push(now() - r.t);
};
diagnostics.subscribe('http.client.response.finish', ({ request }) => {
  if (!run) return;
  run.aws.lastFinish = rel(now());
  awsDone(request);
});
diagnostics.subscribe('http.client.request.error', ({ request, error }) => {
  if (!run) return;
  run.aws.errors++;
  run.aws.lastFinish = rel(now());
  awsDone(request);
  noteError(error);
});

const openFilesLimit = () => {
  try {
    return Number(/^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1]) || null;
  } catch {
    return null;
  }
};

// ---- Lambda writes logs and EMF to stdout: read them in passing (counts only), keep them out of the
// way of the measurement's output. stderr still reaches the parent, and is read for EMFILE too.
const EMFILE = /EMFILE|ENFILE|too many open files/gi;
const scan = (chunk) => {
  if (!run) return;
  const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  for (const line of text.split('\n')) {
    if (!line) continue;
    run.log.lines++;
    // The common line first, without a regex: a healthy key.
    if (line.includes('"message":"key healthy"')) {
      run.log.keyLines++;
      run.log.diagnoses.OK = (run.log.diagnoses.OK ?? 0) + 1;
      if (!lean) {
        const elapsed = /"elapsedMs":(\d+)/.exec(line)?.[1];
        if (elapsed !== undefined) run.log.keyElapsedMs.push(Number(elapsed));
      }
      continue;
    }
    if (line.includes('"level":"ERROR"')) run.log.errors++;
    const m = /"message":"key (?:healthy|unhealthy)[^"]*".*?"diagnosis":"([A-Z0-9_]+)"|"diagnosis":"([A-Z0-9_]+)".*?"message":"key (?:healthy|unhealthy)/.exec(
      line,
    );
    if (m) {
      run.log.keyLines++;
      const d = m[1] ?? m[2];
      run.log.diagnoses[d] = (run.log.diagnoses[d] ?? 0) + 1;
      const elapsed = /"elapsedMs":(\d+)/.exec(line)?.[1];
      if (elapsed !== undefined) run.log.keyElapsedMs.push(Number(elapsed));
    }
    run.log.emfileMentions += line.match(EMFILE)?.length ?? 0;
  }
};
/**
 * Read the handler's log lines from here on. Installed after the bundle is imported: touching
 * process.stdout creates the stream, work that belongs to the bundle's init (its logger takes the
 * stream then). Node's Console looks `write` up at every call, so the logger's lines come here.
 */
function watchLogLines() {
  process.stdout.write = (chunk, ...rest) => {
    scan(chunk);
    rest.find((r) => typeof r === 'function')?.();
    return true;
  };
  const stderrWrite = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk, ...rest) => {
    scan(chunk);
    return stderrWrite(chunk, ...rest);
  };
}

const median = (xs) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : null);
const max = (xs) => (xs.length ? Math.max(...xs) : null);

/** What the handler returned, in counts: CheckRunResult is { checked, unhealthy: [{ key, diagnosis }] }. */
function summariseOutcome(outcome) {
  const unhealthy = Array.isArray(outcome?.unhealthy) ? outcome.unhealthy : [];
  const byDiagnosis = {};
  for (const u of unhealthy) byDiagnosis[u.diagnosis] = (byDiagnosis[u.diagnosis] ?? 0) + 1;
  return { checked: outcome?.checked ?? null, unhealthy: unhealthy.length, unhealthyByDiagnosis: byDiagnosis, sample: unhealthy.slice(0, 3) };
}

/** Before each run, outside the measured time: the bench's AWS front closes the connections of the run before (see bench.ts). */
async function runBoundary() {
  const endpoint = process.env.AWS_ENDPOINT_URL;
  if (process.env.BENCH_RUN_BOUNDARY !== '1' || !endpoint) return;
  const { request } = await import('node:http');
  await new Promise((resolve) => {
    const req = request(`${endpoint}/__bench/run-boundary`, { method: 'POST', agent: false }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', resolve);
    req.end();
  });
  // Lets the SDK's agent see its sockets closed before the run picks one.
  await new Promise((resolve) => setTimeout(resolve, 20));
}

async function invoke(handler) {
  await runBoundary();
  const cpu0 = process.cpuUsage();
  const t0 = now();
  run = newRun(t0);
  let outcome;
  let thrown = null;
  try {
    outcome = await handler({}, lambdaContext(t0));
  } catch (err) {
    thrown = `${err?.name ?? 'Error'}: ${err?.message ?? err}`;
    noteError(err);
  }
  const t1 = now();
  const cpu = process.cpuUsage(cpu0);
  const r = run;
  run = null;
  const x = r.exchange;
  return {
    wallMs: t1 - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    thrown,
    outcome: summariseOutcome(outcome),
    log: { ...r.log, keyElapsedMs: undefined, keyMedianMs: median(r.log.keyElapsedMs), keyMaxMs: max(r.log.keyElapsedMs) },
    errorCodes: r.errorCodes,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    aws: {
      ...r.aws,
      byOperation: Object.fromEntries(Object.entries(r.aws.byOperation).map(([op, v]) => [op, { count: v.count, medianMs: median(v.ms), maxMs: max(v.ms) }])),
    },
    exchange: {
      count: x.count,
      private: x.private,
      public: x.public,
      byMethod: x.byMethod,
      byStatus: x.byStatus,
      connections: x.connections,
      maxInFlight: x.maxInFlight,
      maxOnWire: x.maxOnWire,
      firstPrivateMs: x.firstPrivate,
      lastDoneMs: x.lastDone,
      busyMs: x.busyMs,
      serverMedianMs: median(x.serverMs),
      serverMaxMs: max(x.serverMs),
    },
  };
}

const lambdaContext = (t0) => ({
  functionName: 'bench',
  awsRequestId: 'bench',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench',
  memoryLimitInMB: '256',
  functionVersion: '$LATEST',
  getRemainingTimeInMillis: () => Math.max(0, budgetMs - (now() - t0)),
});

// BENCH_ALLOC_PROFILE=file: every allocation of the second half of the warm runs, sampled, including
// what the garbage collector took back (a heap profile shows only what is still alive): where the
// young generation's churn comes from. Written as a .heapprofile (Chrome DevTools, Memory tab).
const allocations = await (async () => {
  const file = process.env.BENCH_ALLOC_PROFILE;
  if (!file) return { start: async () => {}, stop: async () => {} };
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  let started = false;
  return {
    start: async () => {
      started = true;
      await session.post('HeapProfiler.startSampling', {
        samplingInterval: 16_384,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
    },
    stop: async () => {
      if (!started) return;
      const { profile } = await session.post('HeapProfiler.stopSampling');
      writeFileSync(file, JSON.stringify(profile));
    },
  };
})();

// The handler is imported where the Lambda runtime imports it: after the runtime's own modules.
loadWhatTheLambdaRuntimeHasLoaded();
const builtinsBeforeImport = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
const t0 = now();
const { handler } = await import(pathToFileURL(bundle).href);
const importMs = now() - t0;
const result = { importMs, builtinsBeforeImport, openFilesLimit: openFilesLimit() };
watchLogLines();

if (mode === 'run') {
  const first = await invoke(handler);
  result.first = first;
  result.firstRunMs = first.wallMs;
  result.warm = [];
  for (let i = 0; i < Number(runs); i++) {
    clockOffsetMs += clockStepMs;
    if (i === Math.floor(Number(runs) / 2)) await allocations.start();
    result.warm.push(await invoke(handler));
  }
  await allocations.stop();
  result.warmRunsMs = result.warm.map((w) => w.wallMs);
}
result.maxRssMb = process.resourceUsage().maxRSS / 1024;
result.endRssMb = process.memoryUsage().rss / 1048576;
result.heapUsedMb = process.memoryUsage().heapUsed / 1048576;
if (process.env.BENCH_MEMORY_DETAIL) {
  const m = process.memoryUsage();
  result.memory = { rssMb: m.rss / 1048576, heapUsedMb: m.heapUsed / 1048576, heapTotalMb: m.heapTotal / 1048576, externalMb: m.external / 1048576 };
  globalThis.gc?.();
  result.afterGcRssMb = process.memoryUsage().rss / 1048576;
}
writeFileSync(out, JSON.stringify(result));
process.exit(0);
