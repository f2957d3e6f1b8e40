import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { checkMemoryMb } from '../../src/contract/defaults.js';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Template } from 'aws-cdk-lib/assertions';
import type { Context } from 'aws-lambda';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ASSUMED_ALARMS,
  ASSUMED_MAX_METRICS,
  ASSUMED_STEADY_METRICS,
  ASSUMPTIONS,
  COST_MODES,
  costModel,
  costTableMarkdown,
  PRICES,
  type CostMode,
} from '../../cdk/cost-model.js';
import { DIMENSION, METRIC } from '../../src/contract/metrics.js';
import { DIAGNOSES } from '../../src/monitor/types.js';
import { SECURITY_DIAGNOSES } from '../../src/monitor/security-findings.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/exchange.js';
import { unpackDoc } from '../../src/aws/packed-doc.js';
import { captureOutput, startMoto, toolMissing, useEmulator, type Moto, createStateTable } from '../support/moto.js';
import { synth } from '../support/synth.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The stack's context for each mode the cost model prices. */
const MODE_CONTEXT: Readonly<Record<CostMode, Record<string, string>>> = {
  gateway: {},
  instance: { natMode: 'instance' },
  vpc: {
    vpcId: 'vpc-0123456789abcdef0',
    availabilityZones: 'us-east-1a,us-east-1b',
    privateSubnetIds: 'subnet-0123456789abcdef0,subnet-0123456789abcdef1',
    privateSubnetRouteTableIds: 'rtb-0123456789abcdef0,rtb-0123456789abcdef1',
    egressIps: '198.51.100.7',
  },
  proxy: { proxyUrl: 'http://10.0.0.5:3128', egressIps: '198.51.100.9' },
};
const manyKeys = (n: number) =>
  JSON.stringify(Array.from({ length: n }, (_, i) => ({ name: `bot-${i}`, secretName: `prod/cdc/bot-${i}`, expectTrade: i % 3 !== 0 })));

type Resource = { Properties: Record<string, unknown> };
const resources = (t: Template, type: string) => Object.values(t.findResources(type)) as Resource[];

/** Billed alarm metrics: one per single-metric alarm; a metric-math alarm is billed per metric it reads. */
function billedAlarmMetrics(t: Template): number {
  return resources(t, 'AWS::CloudWatch::Alarm').reduce((n, alarm) => {
    const metrics = alarm.Properties['Metrics'] as { MetricStat?: unknown }[] | undefined;
    return n + (metrics ? metrics.filter((m) => m.MetricStat !== undefined).length : 1);
  }, 0);
}

const line = (mode: CostMode, item: RegExp, keys = 1) => costModel({ keys, scheduleMinutes: 5, mode }).lines.filter((l) => item.test(l.item));

describe('the cost model matches the synthesized stack', () => {
  for (const mode of COST_MODES) {
    for (const keys of [1, 1000]) {
      it(`${mode}, ${keys} key(s): the alarm metrics, the network it prices, one KMS key, one dashboard`, () => {
        const { template } = synth({ ...MODE_CONTEXT[mode], ...(keys > 1 ? { keys: manyKeys(keys) } : {}) });
        expect(billedAlarmMetrics(template)).toBe(ASSUMED_ALARMS);
        expect(line(mode, /^CloudWatch alarm metrics$/)[0]?.quantity).toBe(ASSUMED_ALARMS);

        const hours = ASSUMPTIONS.hoursPerMonth;
        const natGateways = resources(template, 'AWS::EC2::NatGateway').length;
        const natInstances = resources(template, 'AWS::EC2::Instance').filter((i) => i.Properties['InstanceType'] === 't4g.nano').length;
        const eips = resources(template, 'AWS::EC2::EIP').length;
        expect(line(mode, /^NAT gateway$/).reduce((h, l) => h + l.quantity, 0)).toBe(natGateways * hours);
        expect(line(mode, /^NAT instance \(t4g\.nano\)$/).reduce((h, l) => h + l.quantity, 0)).toBe(natInstances * hours);
        expect(line(mode, /^Public IPv4/).reduce((h, l) => h + l.quantity, 0)).toBe(eips * hours);
        expect(line(mode, /flow log/).length).toBe(resources(template, 'AWS::EC2::FlowLog').length);
        expect(resources(template, 'AWS::KMS::Key').length).toBe(line(mode, /^KMS key/)[0]?.quantity);
        expect(resources(template, 'AWS::CloudWatch::Dashboard').length).toBe(1);
        expect(resources(template, 'AWS::DynamoDB::Table').map((t) => t.Properties['BillingMode'])).toEqual(['PAY_PER_REQUEST']);
      });
    }
  }

  it('prices the Lambdas and logs as deployed: arm64, the check function at checkMemoryMb, the others 256 MB, 30-day log retention', () => {
    const { template } = synth();
    const fns = resources(template, 'AWS::Lambda::Function').filter(
      (f) => f.Properties['Runtime'] !== undefined && String(f.Properties['Handler']) === 'index.handler',
    );
    expect(fns.length).toBeGreaterThanOrEqual(3);
    for (const fn of fns) {
      expect(fn.Properties['Architectures']).toEqual(['arm64']);
      expect(fn.Properties['MemorySize']).toBe(checkMemoryMb(1));
    }
    for (const group of resources(template, 'AWS::Logs::LogGroup')) expect(group.Properties['RetentionInDays']).toBe(ASSUMPTIONS.logRetentionDays);
  });
});

describe('the cost model meets its targets', () => {
  for (const mode of COST_MODES) {
    it(`${mode}: each further key costs at most $0.45 a month at the 5-minute schedule`, () => {
      const r = costModel({ keys: 1000, scheduleMinutes: 5, mode });
      expect(r.perKey).toBeLessThanOrEqual(0.45);
      // Most of it is the key's secret; the rest is cents.
      expect(r.perKey).toBeGreaterThan(PRICES.secretMonth);
    });
  }

  it('gateway mode, 1 key: the fixed part is at most $40.26 a month', () => {
    expect(costModel({ keys: 1, scheduleMinutes: 5, mode: 'gateway' }).base).toBeLessThanOrEqual(40.26);
  });

  it('adds up: total = every line; base + keys × per key within one partial secret batch per run', () => {
    for (const mode of COST_MODES) {
      for (const keys of [0, 1, 7, 20, 1000, 1013]) {
        const r = costModel({ keys, scheduleMinutes: 5, mode });
        expect(r.total).toBeCloseTo(
          r.lines.reduce((a, l) => a + l.monthly, 0),
          9,
        );
        for (const l of r.lines) expect(l.monthly).toBeCloseTo(l.quantity * l.unitPrice, 12);
        const partialBatch = r.runsPerMonth * PRICES.secretsApiCall;
        expect(r.total - (r.base + keys * r.perKey)).toBeGreaterThanOrEqual(-1e-9);
        expect(r.total - (r.base + keys * r.perKey)).toBeLessThanOrEqual(partialBatch + 1e-9);
      }
    }
  });

  it('fixed metrics and alarms: the base does not move with the keys', () => {
    const one = costModel({ keys: 1, scheduleMinutes: 5, mode: 'gateway' });
    const many = costModel({ keys: 1000, scheduleMinutes: 5, mode: 'gateway' });
    expect(many.base).toBe(one.base);
    expect(many.lines.filter((l) => /CloudWatch/.test(l.item))).toEqual(one.lines.filter((l) => /CloudWatch/.test(l.item)));
  });

  it('prorates custom metrics by the hours with a run, and reads every secret once per run', () => {
    const metrics = (scheduleMinutes: number) =>
      costModel({ keys: 1, scheduleMinutes, mode: 'proxy' }).lines.find((l) => /custom metrics/.test(l.item))?.monthly;
    expect(metrics(5)).toBeCloseTo(ASSUMED_STEADY_METRICS.length * PRICES.metricMonth, 9);
    expect(metrics(60)).toBeCloseTo(ASSUMED_STEADY_METRICS.length * PRICES.metricMonth, 9);
    expect(metrics(120)).toBeCloseTo((ASSUMED_STEADY_METRICS.length * PRICES.metricMonth) / 2, 9);
    const calls = costModel({ keys: 41, scheduleMinutes: 10, mode: 'gateway' }).lines.find((l) => /BatchGetSecretValue/.test(l.item));
    expect(calls?.quantity).toBe(3 * ((730 * 60) / 10));
  });

  it('knows the worst metric month: the steady set, every diagnosis, deliveries and a refusal', () => {
    expect(ASSUMED_MAX_METRICS).toBe(
      ASSUMED_STEADY_METRICS.length + DIAGNOSES.filter((d) => d !== 'OK' && !(SECURITY_DIAGNOSES as readonly string[]).includes(d)).length + 3,
    );
    expect(ASSUMED_STEADY_METRICS.map((m) => m.name)).toEqual([METRIC.keysChecked, METRIC.keysUnhealthy, METRIC.exchangeLatency]);
  });

  it('refuses impossible input', () => {
    expect(() => costModel({ keys: -1, scheduleMinutes: 5, mode: 'gateway' })).toThrow(/keys/);
    expect(() => costModel({ keys: 1, scheduleMinutes: 0, mode: 'gateway' })).toThrow(/schedule/);
    expect(() => costModel({ keys: 1, scheduleMinutes: 5, mode: 'nat' as CostMode })).toThrow(/mode/);
  });
});

function runCost(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/cost.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
}

describe('npm run cost', () => {
  it('docs/cost.md → Cost is exactly what --markdown prints', () => {
    const page = readFileSync(`${ROOT}docs/cost.md`, 'utf8');
    const section = /<!-- cost-table:start -->\n([\s\S]*?)\n<!-- cost-table:end -->/.exec(page)?.[1];
    const printed = runCost(['--markdown']);
    expect(printed.status).toBe(0);
    expect(section, 'run: npm run docs -- --write').toBe(printed.stdout.trimEnd());
    expect(section).toBe(costTableMarkdown());
  });

  it('prints the line items, the base, each further key and the total', () => {
    const { status, stdout } = runCost(['--keys', '1000', '--schedule', '5', '--mode', 'gateway']);
    expect(status).toBe(0);
    const r = costModel({ keys: 1000, scheduleMinutes: 5, mode: 'gateway' });
    for (const l of r.lines) expect(stdout).toContain(l.item);
    expect(stdout).toMatch(/Base \(does not grow with keys\)\s+\$39\.\d\d/);
    expect(stdout).toContain(`$${r.perKey.toFixed(3)}`);
    expect(stdout).toMatch(new RegExp(`Total for 1,000 key\\(s\\)\\s+\\$${r.total.toFixed(2)}`));
  });

  for (const args of [['--keys', 'many'], ['--mode', 'nat'], ['--bogus'], ['--schedule', '0'], ['--keys'], ['positional']]) {
    it(`refuses ${args.join(' ')}: one line, exit status 2, no stack trace`, () => {
      const { status, stdout, stderr } = runCost(args);
      expect(status).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/^cost: /);
      expect(stderr).not.toMatch(/\n\s+at /);
    });
  }
});

// The custom metrics the model assumes are the ones a real check run emits, at any number of keys.

const skipMoto = toolMissing('moto_server');
const NAMESPACE = 'CostModelTest';
const context = (remainingMs: number) =>
  ({
    functionName: 'check',
    awsRequestId: 'req-cost',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:check',
    memoryLimitInMB: '256',
    functionVersion: '$LATEST',
    getRemainingTimeInMillis: () => remainingMs,
  }) as unknown as Context;

interface EmfDirective {
  readonly Namespace: string;
  readonly Dimensions: string[][];
  readonly Metrics: { readonly Name: string }[];
}

/** Distinct (namespace, metric name, dimension set with its values) across EMF documents: billed custom metrics. */
function distinctMetrics(docs: Record<string, unknown>[]): string[] {
  const seen = new Set<string>();
  for (const doc of docs) {
    const directives = (doc['_aws'] as { CloudWatchMetrics?: EmfDirective[] } | undefined)?.CloudWatchMetrics;
    for (const d of directives ?? []) {
      const sets = d.Dimensions.length > 0 ? d.Dimensions : [[]];
      for (const set of sets) {
        const dims = Object.fromEntries([...set].sort().map((k) => [k, String(doc[k])]));
        for (const m of d.Metrics) seen.add(JSON.stringify([d.Namespace, m.Name, dims]));
      }
    }
  }
  return [...seen].sort();
}

const assumed = ASSUMED_STEADY_METRICS.map((m) => JSON.stringify([NAMESPACE, m.name, Object.fromEntries(Object.entries(m.dimensions).sort())])).sort();

describe.skipIf(skipMoto)('custom metrics: a real check run emits exactly the assumed steady set (moto_server + sandbox exchange)', () => {
  let moto: Moto;
  let sandbox: Sandbox;
  const MAX_KEYS = 1000;
  const TABLE = 'cost-model-store';
  let queueUrl: string;

  beforeAll(async () => {
    [moto, sandbox] = await Promise.all([startMoto(), startSandbox({ latencyMs: 2 })]);
    useEmulator(moto.endpoint);
    const sm = new SecretsManagerClient({});
    const limit = pLimit(16);
    await Promise.all(
      Array.from({ length: MAX_KEYS }, (_, i) =>
        limit(() => {
          const { apiKey, apiSecret } = sandbox.mint('healthy');
          return sm.send(new CreateSecretCommand({ Name: `cost/key-${i}`, SecretString: JSON.stringify({ apiKey, apiSecret }) }));
        }),
      ),
    );
    sm.destroy();
    await createStateTable(TABLE);
    const sqs = new SQSClient({});
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'cost-model-notifications' }))).QueueUrl as string;
    sqs.destroy();
  }, 180_000);

  afterAll(async () => {
    await Promise.all([moto?.stop(), sandbox?.close()]);
  });

  /** One scheduled run of the check Lambda with `n` healthy keys, configured as the stack configures it. */
  async function run(n: number): Promise<{ docs: Record<string, unknown>[]; value: unknown }> {
    const keys = Array.from({ length: n }, (_, i) => ({ name: `key-${i}`, secretId: `cost/key-${i}`, expectTrade: true }));
    Object.assign(process.env, {
      MONITORED_KEYS: JSON.stringify(keys),
      EXCHANGE_BASE_URL: sandbox.baseUrl(),
      IP_ECHO_URL: sandbox.ipEchoUrl,
      EXPECTED_EGRESS_IP: sandbox.egressIp,
      CHECK_TIMEOUT_MS: '5000',
      SECRET_CACHE_TTL_MS: '30000',
      POWERTOOLS_SERVICE_NAME: 'exchange-key-monitor',
      POWERTOOLS_METRICS_NAMESPACE: NAMESPACE,
      // The incident layer, as the stack wires it (src/contract/env.ts).
      STATE_TABLE: TABLE,
      NOTIFICATION_QUEUE_URL: queueUrl,
      OPEN_AFTER_RUNS: '2',
      RESOLVE_AFTER_RUNS: '1',
      REMIND_EVERY_HOURS: '4',
      HISTORY_DAYS: '30',
      KEY_MAX_AGE_DAYS: '90',
      MONITOR_NAME: 'cost-model-test',
      ANNOUNCEMENTS_URL: sandbox.announcementsUrl,
    });
    // A fresh module graph per run, as a fresh Lambda environment would load it (its process-wide Metrics too).
    vi.resetModules();
    const { handler } = await import('../../src/handlers/check.js');
    const scheduled = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };
    return captureOutput(() => handler(scheduled, context(120_000)));
  }

  it('1, 10 and 1,000 healthy keys: the same distinct metrics, and they are the model’s', async () => {
    const counted: Record<number, string[]> = {};
    for (const n of [1, 10, MAX_KEYS]) {
      const { docs, value } = await run(n);
      expect(value, `${n} keys`).toMatchObject({ checked: n, unhealthy: [] });
      counted[n] = distinctMetrics(docs);
      // Every key's latency was recorded (in as many EMF documents as Powertools needs), under one metric.
      const latencies = docs.flatMap((d) => (d[METRIC.exchangeLatency] === undefined ? [] : [d[METRIC.exchangeLatency]].flat()));
      expect(latencies, `${n} keys`).toHaveLength(n);
    }
    expect(counted[1]).toEqual(assumed);
    expect(counted[10]).toEqual(assumed);
    expect(counted[MAX_KEYS]).toEqual(assumed);
    expect(assumed.every((m) => m.includes(`"${DIMENSION.service}"`))).toBe(true);
    // The incident layer ran too, as in the Lambda: every key has its entry in the run records, the
    // items the model prices per key per run (RUNS#, 100 keys each).
    const db = new DynamoDBClient({});
    const checked = new Set<string>();
    let shards = 0;
    let packedBytes = 0;
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await db.send(
        new ScanCommand({
          TableName: TABLE,
          FilterExpression: 'begins_with(sk, :runs)',
          ExpressionAttributeValues: { ':runs': { S: 'RUNS#' } },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        shards++;
        const packed = item['doc']?.B ?? new Uint8Array();
        packedBytes += packed.byteLength;
        for (const key of Object.keys((JSON.parse(unpackDoc(packed) ?? '{}') as { entries?: object }).entries ?? {})) checked.add(key);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    db.destroy();
    expect(checked.size).toBe(MAX_KEYS);
    expect(shards).toBe(Math.ceil(MAX_KEYS / 100));
    // What the model prices a key's share of the run records at (1 WRU per KB written, each run) is
    // at least what a healthy key's share is, packed as stored.
    expect(packedBytes / MAX_KEYS / 1024).toBeLessThanOrEqual(ASSUMPTIONS.wruPerKeyRun);
  }, 300_000);
});
