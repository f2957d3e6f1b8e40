import {
  checkMemoryMb,
  DEFAULT_INCIDENT_POLICY,
  LAMBDA_CPU_FACTOR,
  LAMBDA_MB_PER_VCPU,
  MEASURED_CPU_MS_PER_KEY,
  SECRETS_PER_BATCH,
} from '../src/contract/defaults.js';
import { DIMENSION, METRIC } from '../src/contract/metrics.js';
import { SERVICE_NAME } from '../src/contract/service.js';
import { DIAGNOSES } from '../src/monitor/types.js';
import { SECURITY_DIAGNOSES } from '../src/monitor/security-findings.js';

/**
 * The monthly cost of a deployment, line by line, from list prices: pure arithmetic, no AWS calls.
 * `npm run cost` prints it and `npm run docs` writes README → Cost and docs/cost.md from it;
 * test/cdk/cost-model.test.ts ties the alarm and metric counts it assumes to the synthesized template
 * and to a real check run.
 *
 * Conventions: us-east-1 on-demand list prices; NO free tier is counted anywhere (Lambda, DynamoDB,
 * SQS, KMS, data transfer), so a small account pays less than this; a month is 730 hours (AWS's
 * calculator convention); 1 GB = 1024³ bytes, 1 KB = 1024 bytes. Steady state: every key healthy,
 * so no incidents and no notifications (those add cents per event, not per month).
 */

/** Every price the model uses, in US dollars, us-east-1. */
export const PRICES = {
  /** aws.amazon.com/vpc/pricing: NAT gateway, per hour and per GB processed. */
  natGatewayHour: 0.045,
  natGatewayGb: 0.045,
  /** aws.amazon.com/vpc/pricing (public IPv4 address, in use or idle, since February 2024). */
  publicIpv4Hour: 0.005,
  /** aws.amazon.com/ec2/pricing/on-demand: t4g.nano, Linux. */
  t4gNanoHour: 0.0042,
  /** aws.amazon.com/ebs/pricing: gp3 storage, per GB-month. */
  gp3GbMonth: 0.08,
  /** aws.amazon.com/ec2/pricing/on-demand → data transfer out to the internet, first 10 TB tier. */
  internetOutGb: 0.09,
  /** aws.amazon.com/kms/pricing: a customer managed key, and symmetric requests (per request). */
  kmsKeyMonth: 1.0,
  kmsRequest: 0.03 / 10_000,
  /** aws.amazon.com/secrets-manager/pricing: per secret-month, and per API call. */
  secretMonth: 0.4,
  secretsApiCall: 0.05 / 10_000,
  /** aws.amazon.com/dynamodb/pricing/on-demand: per write / read request unit, storage per GB-month. */
  dynamoWru: 0.625 / 1_000_000,
  dynamoRru: 0.125 / 1_000_000,
  dynamoStorageGbMonth: 0.25,
  /** aws.amazon.com/lambda/pricing: Arm, per GB-second of duration, and per request. */
  lambdaArmGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1_000_000,
  /** aws.amazon.com/cloudwatch/pricing: custom metric (first 10,000 tier, prorated hourly), standard-resolution alarm metric. */
  metricMonth: 0.3,
  alarmMetricMonth: 0.1,
  /** aws.amazon.com/cloudwatch/pricing: a dashboard beyond the 3 each account gets free. */
  dashboardMonth: 3.0,
  /** aws.amazon.com/cloudwatch/pricing: Logs ingestion (standard class; vended logs such as flow logs, first 10 TB) and storage. */
  logsIngestGb: 0.5,
  logsStorageGbMonth: 0.03,
  /** aws.amazon.com/sqs/pricing: standard queue requests (each 64 KB chunk), beyond the first 1 M free. */
  sqsRequest: 0.4 / 1_000_000,
} as const;

/** Everything the model assumes that is not a price: counts from the code, and estimates (marked). */
export const ASSUMPTIONS = {
  hoursPerMonth: 730,
  /** History items live historyDays (the stack's default: 30), plus DynamoDB's TTL lag (typically within 2 days: estimate). */
  historyDays: DEFAULT_INCIDENT_POLICY.historyDays,
  ttlLagDays: 2,
  /** The check log group's retention (monitor-function.ts: one month). */
  logRetentionDays: 30,
  /**
   * Estimate (not measured on Lambda): per run, the fixed part (init share, IP echo, ticker, the
   * store's monitor items) ≈ 0.6 s. Per key, the run is CPU-bound (exchange round trips overlap, 50
   * keys at a time): the measured CPU per key (MEASURED_CPU_MS_PER_KEY, × LAMBDA_CPU_FACTOR for arm64)
   * at the vCPU share of the memory checkMemoryMb gives the function for that many keys.
   */
  runSeconds: 0.6,
  cpuMsPerKey: MEASURED_CPU_MS_PER_KEY * LAMBDA_CPU_FACTOR,
  /**
   * Per key per run: its share of a run-record item (~1.8 KB of JSON, ~0.3 KB packed with gzip as
   * stored, for a shard of 100 different accounts — test/monitor/run-record-size.test.ts), written
   * whole each run: 1 WRU per KB. Its state and history are written only when something changes (not counted).
   */
  wruPerKeyRun: 0.3,
  /** Per key per run: its state item (≤ 4 KB → 1 RRU, strongly consistent) and its share of the packed run-record item (~0.1 RRU). */
  rruPerKeyRun: 1.1,
  /** Per run: the monitor item's conditional PutItem; the monitor and key-list items read with the keys. */
  wruPerRun: 1,
  rruPerRun: 2,
  /** A history item: ~300 B of JSON + DynamoDB's 100 B per-item storage overhead. The state item ~1 KB, the packed run-record share ~0.3 KB. */
  historyItemBytes: 300 + 100,
  stateItemBytes: 1024 + 300,
  /** History is written only for runs that were not healthy or changed something: estimate 2 % of runs. */
  historyShareOfRuns: 0.02,
  /** One log line per key per run (~450 B for a healthy key) and its ExchangeLatency value in the run's EMF document (~10 B). */
  logBytesPerKeyRun: 450 + 10,
  /** Per run: START/END/REPORT, the EMF document's fixed part, run-level lines. */
  logBytesPerRun: 1536,
  /**
   * Estimate of network bytes per key per run (both directions, TLS included, connections kept
   * alive): exchange ~8 KB (signed read with its balance list, the Trade probe); AWS APIs ~3 KB
   * (its secret in a BatchGetSecretValue reply, its DynamoDB items). The stack has no VPC
   * endpoints, so in gateway/vpc modes both pass the NAT. Of it, ~2 KB leaves for the internet
   * (requests; replies come in, and inbound is free).
   */
  exchangeKbPerKeyRun: 8,
  awsApiKbPerKeyRun: 3,
  internetOutKbPerKeyRun: 2,
  /** Per run, whatever the keys: IP echo, ticker, hourly announcements (~6 KB); monitor items (~9 KB); ~1 KB out. */
  exchangeKbPerRun: 6,
  awsApiKbPerRun: 9,
  internetOutKbPerRun: 1,
  /**
   * The notifier's SQS event source polls the empty queue: Lambda keeps ~5 long polls (20 s)
   * running, ~15 ReceiveMessage requests a minute (estimate from AWS's poller behaviour).
   */
  sqsIdleRequestsPerMonth: 15 * 60 * 730,
  /** Estimate: the alerts key is used by SNS/SQS only when notifications flow; generous. */
  kmsRequestsPerMonth: 10_000,
  /** Estimate: the own VPC's flow log keeps REJECTed traffic only (internet scans of the NAT's address). */
  flowLogGbPerMonth: 0.1,
  /** NAT instance root volume (Amazon Linux 2023 default). */
  natInstanceVolumeGb: 8,
  secretsPerBatch: SECRETS_PER_BATCH,
} as const;

/**
 * Billed alarm metrics in the stack (exchange-key-monitor.ts → monitorTheMonitor): HEARTBEAT,
 * CHECK_FUNCTION_ERRORS, NOTIFICATIONS_UNDELIVERED, DELIVERIES_FAILED, NOTIFIER_ERRORS (one metric
 * each) and ROTATION_FAILED (metric math over two metrics: errors and refusals). The same in every
 * mode and at any number of keys; the test compares it with the synthesized template.
 */
export const ASSUMED_ALARMS = 7;

export interface MetricIdentity {
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

const service = { [DIMENSION.service]: SERVICE_NAME };

/** Emitted by every check run, whatever the keys (src/aws/run-metrics.ts): billed every hour with a run. */
export const ASSUMED_STEADY_METRICS: readonly MetricIdentity[] = [
  { name: METRIC.keysChecked, dimensions: service },
  { name: METRIC.keysUnhealthy, dimensions: service },
  { name: METRIC.exchangeLatency, dimensions: service },
];

/**
 * The most there can be in one hour: the steady set, UnhealthyKeys for every diagnosis a check can
 * give but OK (security findings are not a check's diagnosis, so never a dimension), the
 * notifier's DeliveriesSent/DeliveriesFailed and the rotation Lambda's RotationsRefused. The
 * others are billed only for the hours they are emitted in.
 */
export const ASSUMED_MAX_METRICS = ASSUMED_STEADY_METRICS.length + (DIAGNOSES.length - 1 - SECURITY_DIAGNOSES.length) + 3;

export const COST_MODES = ['gateway', 'instance', 'vpc', 'proxy'] as const;
export type CostMode = (typeof COST_MODES)[number];

export const MODE_LABELS: Readonly<Record<CostMode, string>> = {
  gateway: 'NAT gateway (default)',
  instance: 'NAT instance',
  vpc: 'Your VPC',
  proxy: 'Proxy',
};

export interface CostInput {
  readonly keys: number;
  readonly scheduleMinutes: number;
  readonly mode: CostMode;
  readonly historyDays?: number;
}

export interface CostLine {
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  /** US dollars per unit. */
  readonly unitPrice: number;
  /** quantity × unitPrice, US dollars per month. */
  readonly monthly: number;
  /** Whether the line grows with the keys. */
  readonly perKey: boolean;
}

export interface CostResult {
  readonly input: Required<CostInput>;
  readonly runsPerMonth: number;
  readonly lines: readonly CostLine[];
  /** What the lines that do not grow with keys add up to. */
  readonly base: number;
  /** What one more key adds once keys fill whole secret batches: the slope of the per-key lines. */
  readonly perKey: number;
  /** Every line. Within one partial BatchGetSecretValue call per run of base + keys × perKey. */
  readonly total: number;
  /** perKey if BatchGetSecretValue is billed per secret and Secrets Manager's KMS decrypts are billed too. */
  readonly worstCasePerKey: number;
  /** The custom metrics line if every metric of ASSUMED_MAX_METRICS were emitted every hour. */
  readonly maxMetricsMonthly: number;
}

const GB = 1024 ** 3;
const kbToGb = (kb: number) => (kb * 1024) / GB;

function line(item: string, quantity: number, unit: string, unitPrice: number, perKey: boolean): CostLine {
  return { item, quantity, unit, unitPrice, monthly: quantity * unitPrice, perKey };
}

export class CostInputError extends Error {
  override readonly name = 'CostInputError';
}

function checkInput(input: CostInput): Required<CostInput> {
  const historyDays = input.historyDays ?? ASSUMPTIONS.historyDays;
  if (!Number.isInteger(input.keys) || input.keys < 0) throw new CostInputError(`keys must be a whole number ≥ 0, got ${input.keys}`);
  if (!Number.isInteger(input.scheduleMinutes) || input.scheduleMinutes < 1 || input.scheduleMinutes > 1440) {
    throw new CostInputError(`schedule must be a whole number of minutes from 1 to 1440, got ${input.scheduleMinutes}`);
  }
  if (!(COST_MODES as readonly string[]).includes(input.mode))
    throw new CostInputError(`mode must be one of ${COST_MODES.join(', ')}, got ${String(input.mode)}`);
  if (!Number.isInteger(historyDays) || historyDays < 1 || historyDays > 400)
    throw new CostInputError(`history days must be a whole number from 1 to 400, got ${historyDays}`);
  return { keys: input.keys, scheduleMinutes: input.scheduleMinutes, mode: input.mode, historyDays };
}

/** Lines that do not grow with the keys. */
function baseLines(mode: CostMode, runs: number, scheduleMinutes: number): CostLine[] {
  const A = ASSUMPTIONS;
  const P = PRICES;
  const hours = A.hoursPerMonth;
  const out: CostLine[] = [];
  if (mode === 'gateway') {
    out.push(line('NAT gateway', hours, 'h', P.natGatewayHour, false));
    out.push(line('Public IPv4 address (the Elastic IP)', hours, 'h', P.publicIpv4Hour, false));
  }
  if (mode === 'instance') {
    out.push(line('NAT instance (t4g.nano)', hours, 'h', P.t4gNanoHour, false));
    out.push(line('NAT instance root volume (gp3)', A.natInstanceVolumeGb, 'GB-month', P.gp3GbMonth, false));
    out.push(line('Public IPv4 address (the Elastic IP)', hours, 'h', P.publicIpv4Hour, false));
  }
  if (mode === 'gateway' || mode === 'instance') {
    out.push(line('VPC flow log, rejected traffic (estimate)', A.flowLogGbPerMonth, 'GB', P.logsIngestGb + P.logsStorageGbMonth, false));
  }
  if (mode === 'gateway' || mode === 'vpc') {
    const nat = mode === 'gateway' ? 'NAT gateway' : 'Your NAT gateway';
    out.push(line(`${nat}: data processed, per-run calls`, kbToGb(runs * (A.exchangeKbPerRun + A.awsApiKbPerRun)), 'GB', P.natGatewayGb, false));
  }
  const runOutKb = A.internetOutKbPerRun + (mode === 'proxy' ? A.exchangeKbPerRun : 0);
  out.push(line('Data transfer out, per-run calls', kbToGb(runs * runOutKb), 'GB', P.internetOutGb, false));
  out.push(line('KMS key (alert topics and queues)', 1, 'key', P.kmsKeyMonth, false));
  out.push(line('KMS requests (estimate)', A.kmsRequestsPerMonth, 'requests', P.kmsRequest, false));
  out.push(line('Channels secret', 1, 'secret', P.secretMonth, false));
  // Prorated by the hour: with runs further apart than an hour, a metric is billed only in hours with a run.
  const hourShare = Math.min(1, 60 / scheduleMinutes);
  out.push(line('CloudWatch custom metrics (fixed set)', ASSUMED_STEADY_METRICS.length * hourShare, 'metric-months', P.metricMonth, false));
  out.push(line('CloudWatch alarm metrics', ASSUMED_ALARMS, 'alarm metrics', P.alarmMetricMonth, false));
  out.push(line('CloudWatch dashboard (first 3 per account free)', 1, 'dashboard', 0, false));
  out.push(line('Lambda requests (check runs)', runs, 'requests', P.lambdaRequest, false));
  // At the smallest size: what a larger deployment's extra memory adds to it is a fraction of a cent.
  out.push(line('Lambda duration, per run', runs * A.runSeconds * (checkMemoryMb(0) / 1024), 'GB-s', P.lambdaArmGbSecond, false));
  out.push(line('DynamoDB writes, monitor item', runs * A.wruPerRun, 'WRU', P.dynamoWru, false));
  out.push(line('DynamoDB reads, monitor items', runs * A.rruPerRun, 'RRU', P.dynamoRru, false));
  const runLogGb = (runs * A.logBytesPerRun) / GB;
  out.push(line('Logs ingestion, per run', runLogGb, 'GB', P.logsIngestGb, false));
  out.push(line('Logs storage, per run', runLogGb * (A.logRetentionDays / (hours / 24)), 'GB-month', P.logsStorageGbMonth, false));
  out.push(line('SQS requests (notifier polling the empty queue)', A.sqsIdleRequestsPerMonth, 'requests', P.sqsRequest, false));
  out.push(line('SNS email (none in steady state)', 0, 'emails', 0, false));
  return out;
}

/** Lines that grow with the keys. */
function keyLines(mode: CostMode, keys: number, runs: number, historyDays: number, scheduleMinutes: number): CostLine[] {
  const A = ASSUMPTIONS;
  const P = PRICES;
  const keyRuns = keys * runs;
  const out: CostLine[] = [];
  out.push(line('Exchange key secrets', keys, 'secrets', P.secretMonth, true));
  // The cache lives min(60 s, schedule/2), shorter than the schedule: every run reads every secret once.
  out.push(
    line(
      `Secrets Manager API (BatchGetSecretValue, ${A.secretsPerBatch} secrets a call)`,
      Math.ceil(keys / A.secretsPerBatch) * runs,
      'calls',
      P.secretsApiCall,
      true,
    ),
  );
  out.push(line('DynamoDB writes (run records; states and history on change)', keyRuns * A.wruPerKeyRun, 'WRU', P.dynamoWru, true));
  out.push(line('DynamoDB reads (states and run records, BatchGetItem)', keyRuns * A.rruPerKeyRun, 'RRU', P.dynamoRru, true));
  const historyItems = (((historyDays + A.ttlLagDays) * 24 * 60) / scheduleMinutes) * A.historyShareOfRuns;
  out.push(
    line('DynamoDB storage (history + state)', (keys * (historyItems * A.historyItemBytes + A.stateItemBytes)) / GB, 'GB-month', P.dynamoStorageGbMonth, true),
  );
  const logGb = (keyRuns * A.logBytesPerKeyRun) / GB;
  out.push(line('Logs ingestion (a line per key per run)', logGb, 'GB', P.logsIngestGb, true));
  out.push(line('Logs storage (30-day retention)', logGb * (A.logRetentionDays / (A.hoursPerMonth / 24)), 'GB-month', P.logsStorageGbMonth, true));
  // CPU-bound: the seconds a key takes at this memory's vCPU share, billed at this memory.
  const memoryMb = checkMemoryMb(keys);
  const keySeconds = A.cpuMsPerKey / 1000 / (memoryMb / LAMBDA_MB_PER_VCPU);
  out.push(line(`Lambda duration, per key (${memoryMb} MB)`, keyRuns * keySeconds * (memoryMb / 1024), 'GB-s', P.lambdaArmGbSecond, true));
  if (mode === 'gateway' || mode === 'vpc') {
    const nat = mode === 'gateway' ? 'NAT gateway' : 'Your NAT gateway';
    out.push(line(`${nat}: data processed (exchange + AWS APIs)`, kbToGb(keyRuns * (A.exchangeKbPerKeyRun + A.awsApiKbPerKeyRun)), 'GB', P.natGatewayGb, true));
  }
  // Through a proxy the exchange traffic leaves AWS twice: from Lambda to the proxy, and relayed by the proxy host.
  const outKb = A.internetOutKbPerKeyRun + (mode === 'proxy' ? A.exchangeKbPerKeyRun : 0);
  out.push(line('Data transfer out to the internet', kbToGb(keyRuns * outKb), 'GB', P.internetOutGb, true));
  return out;
}

const sum = (lines: readonly CostLine[]) => lines.reduce((a, l) => a + l.monthly, 0);

export function costModel(input: CostInput): CostResult {
  const checked = checkInput(input);
  const { keys, scheduleMinutes, mode, historyDays } = checked;
  const runs = (ASSUMPTIONS.hoursPerMonth * 60) / scheduleMinutes;
  const base = baseLines(mode, runs, scheduleMinutes);
  const perKeyLines = keyLines(mode, keys, runs, historyDays, scheduleMinutes);
  // The slope between two key counts that fill whole secret batches: what each further key adds.
  const at = (n: number) => sum(keyLines(mode, n, runs, historyDays, scheduleMinutes));
  const span = 1000 * ASSUMPTIONS.secretsPerBatch;
  const perKey = (at(2 * span) - at(span)) / span;
  const secretReads = runs;
  const worstCasePerKey = perKey + secretReads * (PRICES.secretsApiCall * (1 - 1 / ASSUMPTIONS.secretsPerBatch) + PRICES.kmsRequest);
  const hourShare = Math.min(1, 60 / scheduleMinutes);
  return {
    input: checked,
    runsPerMonth: runs,
    lines: [...base, ...perKeyLines],
    base: sum(base),
    perKey,
    total: sum(base) + sum(perKeyLines),
    worstCasePerKey,
    maxMetricsMonthly: ASSUMED_MAX_METRICS * hourShare * PRICES.metricMonth,
  };
}

// Formatting, shared by `npm run cost` and the generated cost tables.

export function usd(amount: number, digits = 2): string {
  return `$${amount.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

/** A unit price in plain decimals, three significant digits at most: $0.045, $0.0000133, $1.00. */
export function unitPrice(price: number): string {
  if (price === 0) return '$0';
  const decimals = Math.max(2, 2 - Math.floor(Math.log10(price)));
  const text = price.toFixed(decimals).replace(/0+$/, '');
  return `$${/\.\d$/.test(text) ? `${text}0` : text.replace(/\.$/, '.00')}`;
}

export function quantity(q: number): string {
  if (q === 0) return '0';
  if (Number.isInteger(q) || q >= 100) return Math.round(q).toLocaleString('en-US');
  if (q >= 1) return q.toFixed(2);
  return q.toPrecision(3);
}

export const TABLE_KEYS = [1, 10, 100, 1000] as const;
export const TABLE_SCHEDULE_MINUTES = 5;

/** docs/cost.md, between the cost-table markers: the totals per mode, the per-key slope, the assumptions. */
export function costTableMarkdown(scheduleMinutes: number = TABLE_SCHEDULE_MINUTES): string {
  const cell = (mode: CostMode, keys: number) => costModel({ keys, scheduleMinutes, mode });
  const row = (label: string, values: string[]) => `| ${label} | ${values.join(' | ')} |`;
  const A = ASSUMPTIONS;
  const gw = cell('gateway', 1000);
  const runs = gw.runsPerMonth;
  const out = [
    row(
      'Keys',
      COST_MODES.map((m) => MODE_LABELS[m]),
    ),
    `|---|${COST_MODES.map(() => '---:|').join('')}`,
    row(
      'Fixed (no keys)',
      COST_MODES.map((m) => usd(cell(m, 0).base)),
    ),
    ...TABLE_KEYS.map((k) =>
      row(
        k.toLocaleString('en-US'),
        COST_MODES.map((m) => usd(cell(m, k).total)),
      ),
    ),
    row(
      '**Each further key**',
      COST_MODES.map((m) => `**${usd(cell(m, 1000).perKey, 3)}**`),
    ),
    row(
      'Each further key, worst case¹',
      COST_MODES.map((m) => usd(cell(m, 1000).worstCasePerKey, 3)),
    ),
    '',
    `Per month, every ${scheduleMinutes} minutes (${Math.round(runs).toLocaleString('en-US')} runs), us-east-1 list prices, \`npm run cost -- --keys N --mode M\` for the line items. Assumed:`,
    '',
    `- **No free tier counted** (Lambda, DynamoDB, SQS, KMS, data transfer): a small account pays less. A month is ${A.hoursPerMonth} hours. All keys healthy: incidents and notifications add cents per event.`,
    `- Each key's secret costs ${usd(PRICES.secretMonth)} whether the stack creates it or you name your own; that is most of the per-key cost. The channels secret (${usd(PRICES.secretMonth)}) and the alerts KMS key (${usd(PRICES.kmsKeyMonth)}) are in the fixed part.`,
    `- Secret reads: one per key per run (the cache lives at most min(60 s, schedule/2)), ${A.secretsPerBatch} per BatchGetSecretValue call, billed as one API call each. ¹Worst case: billed per secret, plus Secrets Manager's KMS decrypt of each read (the Secrets Manager guide calls the default aws/secretsmanager key free).`,
    `- DynamoDB on demand: ${A.wruPerKeyRun} WRU per key per run (its share of a run-record item of 100 keys, written whole each run; a key's state and history are written only when something changes, history for about ${A.historyShareOfRuns * 100} % of runs), ${A.rruPerKeyRun} RRU (strongly consistent BatchGetItem of its state and run-record share); history kept ${A.historyDays} days (+${A.ttlLagDays} days of TTL lag).`,
    `- Logs: ~${A.logBytesPerKeyRun} B per key per run (its log line and latency value) + ~${(A.logBytesPerRun / 1024).toFixed(1)} KB per run, ${A.logRetentionDays}-day retention, storage counted uncompressed.`,
    `- Metrics and alarms are a fixed set at any number of keys: ${ASSUMED_STEADY_METRICS.length} custom metrics every hour (${ASSUMED_STEADY_METRICS.map((m) => m.name).join(', ')}; up to ${ASSUMED_MAX_METRICS} in an hour where every diagnosis, a delivery and a refused rotation occur, ${usd(PRICES.metricMonth)} each prorated by the hour) and ${ASSUMED_ALARMS} alarm metrics (the rotation alarm's expression reads two). One dashboard: free within the 3 per account.`,
    `- Lambda: ${A.runSeconds} s per run (estimate) + per key the CPU \`npm run bench\` measured (${MEASURED_CPU_MS_PER_KEY} ms on x64, × ${LAMBDA_CPU_FACTOR} for arm64: an estimate) at the vCPU share of the check function's memory (256 MB up to 640 keys, 384 MB at 1,000: checkMemoryMb; 1,769 MB is one vCPU).`,
    `- Estimates, not measurements: ~${A.exchangeKbPerKeyRun + A.awsApiKbPerKeyRun} KB per key per run through the NAT (exchange ${A.exchangeKbPerKeyRun} KB, AWS APIs ${A.awsApiKbPerKeyRun} KB: the stack has no VPC endpoints), ${A.internetOutKbPerKeyRun} KB of it out to the internet; the notifier's idle SQS polling ${Math.round(A.sqsIdleRequestsPerMonth / 1000)}k requests; ${A.kmsRequestsPerMonth.toLocaleString('en-US')} KMS requests; ${A.flowLogGbPerMonth} GB of rejected-traffic flow logs.`,
    '- Your VPC: your NAT is yours already; only its data processing for our traffic is counted (as a NAT gateway). Proxy: the proxy host is yours already; its data transfer out for our traffic is counted.',
  ];
  return out.join('\n');
}
