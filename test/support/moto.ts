import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * moto_server is a real AWS API emulator (Secrets Manager, SNS, SQS, CloudWatch) installed on these
 * machines. Where it is absent, tests skip with a printed reason, except in CI
 * (REQUIRE_AWS_EMULATORS=1), where a missing emulator is a failure.
 */
export function toolMissing(tool: string): string | null {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).status === 0;
  if (found) return null;
  const reason = `${tool} is not on PATH`;
  if (process.env['REQUIRE_AWS_EMULATORS'] === '1') throw new Error(`${reason}, and CI requires it`);
  console.warn(`SKIPPED: ${reason}; these tests need it (pip install 'moto[server]' cfn-lint)`);
  return reason;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface Moto {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * `atomicDynamo: false` gives moto_server itself (the bench: it measures the client's side, and a
 * one-at-a-time front would only add latency).
 */
export async function startMoto(opts: { atomicDynamo?: boolean } = {}): Promise<Moto> {
  const port = await freePort();
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const motoEndpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(`${motoEndpoint}/moto-api/reset`, { method: 'POST' });
      if (res.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill();
      throw new Error('moto_server did not start within 30 s');
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  const front = opts.atomicDynamo === false ? { endpoint: motoEndpoint, close: async () => {} } : await atomicDynamoFront(port);
  return {
    endpoint: front.endpoint,
    stop: async () => {
      await front.close();
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

/**
 * DynamoDB applies each write and its condition atomically; moto_server serves requests on threads
 * and its DynamoDB takes no lock, so two conditional writes to one item at the same moment can both
 * pass on a loaded machine. Tests that race writes (exactly-once claims, one incident for two runs)
 * would then fail on the emulator, not on our code. This front, in the test's own process, passes
 * DynamoDB requests to moto one at a time, and every other request straight through.
 */
async function atomicDynamoFront(motoPort: number): Promise<{ endpoint: string; close(): Promise<void> }> {
  let dynamo: Promise<unknown> = Promise.resolve();
  // Settles however the exchange with moto ends: answered, failed, or abandoned by the client (an SDK
  // timeout closes the response first), so one abandoned call never holds up the DynamoDB calls after it.
  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse) =>
    new Promise<void>((resolve) => {
      res.once('close', resolve);
      const out = httpRequest({ host: '127.0.0.1', port: motoPort, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        answer.once('end', resolve);
        answer.once('error', resolve);
        if (res.destroyed) {
          answer.resume();
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on('error', (err) => {
        res.destroy(err);
        resolve();
      });
      out.end(body);
    });
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (String(req.headers['x-amz-target'] ?? '').startsWith('DynamoDB_')) {
        dynamo = dynamo.then(() => forward(req, body, res));
      } else {
        void forward(req, body, res);
      }
    });
  });
  return listenOnLoopback(server);
}

/** A server listening on a free loopback port: its endpoint, and a close that drops open connections too. */
export async function listenOnLoopback(server: Server): Promise<{ endpoint: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Point every AWS SDK v3 client made after this at the emulator, with dummy credentials. */
export function useEmulator(endpoint: string): void {
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
  });
}

/**
 * Everything written to stdout and stderr while fn runs, kept from the terminal; the streams are
 * theirs again however fn ends. A throw carries what was written before it as `captured`.
 */
export async function captureWrites<T>(fn: () => Promise<T>): Promise<{ value: T; raw: string }> {
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((s) => s.write);
  let raw = '';
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      raw += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as typeof stream.write;
  }
  try {
    return { value: await fn(), raw };
  } catch (err) {
    // What was written before the throw (logs, EMF) stays inspectable.
    if (err && typeof err === 'object') Object.assign(err, { captured: raw });
    throw err;
  } finally {
    streams.forEach((s, i) => (s.write = originals[i] as typeof s.write));
  }
}

/**
 * Everything written to stdout and stderr while fn runs (Lambda sends both to CloudWatch Logs),
 * one JSON document per line where it parses.
 */
export async function captureOutput<T>(fn: () => Promise<T>): Promise<{ value: T; raw: string; docs: Record<string, unknown>[] }> {
  const { value, raw } = await captureWrites(fn);
  const docs = raw
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { value, raw, docs };
}

/** The monitor's DynamoDB table (layout: src/contract/store.ts; the stack creates it the same way). */
export async function createStateTable(name: string): Promise<void> {
  const { CreateTableCommand, DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const db = new DynamoDBClient({});
  try {
    await db.send(
      new CreateTableCommand({
        TableName: name,
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } finally {
    db.destroy();
  }
}

/** Every message on the queue now, deleted as read: what the notifier would get (bodies as JSON). */
export async function drainQueue<T>(sqs: SQSClient, queueUrl: string, onBody: (body: string) => void = () => {}): Promise<T[]> {
  const got: T[] = [];
  for (;;) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (!out.Messages?.length) return got;
    for (const m of out.Messages) {
      onBody(m.Body ?? '');
      got.push(JSON.parse(m.Body ?? '{}') as T);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
}
