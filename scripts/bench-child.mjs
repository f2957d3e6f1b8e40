// Runs the bundled check Lambda the way the Lambda runtime does: a fresh Node process imports the
// bundle, then invokes the handler. Plain JS on purpose: no TypeScript loader in the measurement.
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [mode, bundle, out, runs = '0'] = process.argv.slice(2);
const context = { functionName: 'bench', awsRequestId: 'bench', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench', memoryLimitInMB: '256', functionVersion: '$LATEST', getRemainingTimeInMillis: () => 60_000 };

const t0 = performance.now();
const { handler } = await import(pathToFileURL(bundle).href);
const importMs = performance.now() - t0;
const result = { importMs };

if (mode === 'run') {
  // Lambda writes logs and EMF to stdout; keep them out of the way of the measurement's output.
  process.stdout.write = () => true;
  const t1 = performance.now();
  const first = await handler({}, context);
  result.firstRunMs = performance.now() - t1;
  result.outcome = first;
  result.warmRunsMs = [];
  for (let i = 0; i < Number(runs); i++) {
    const t = performance.now();
    await handler({}, context);
    result.warmRunsMs.push(performance.now() - t);
  }
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
