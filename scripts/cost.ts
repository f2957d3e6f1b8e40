/**
 * npm run cost: the monthly cost of a deployment, line item by line item, from list prices
 * (cdk/cost-model.ts). Bad flags: one line on stderr, exit status 2.
 *
 * npm run cost -- [--keys N] [--schedule MINUTES] [--mode gateway|instance|vpc|proxy] [--history-days N]
 * npm run cost -- --markdown        the cost table of docs/cost.md (`npm run docs -- --write` writes it there)
 */
import { parseArgs } from 'node:util';
import {
  COST_MODES,
  costModel,
  costTableMarkdown,
  CostInputError,
  MODE_LABELS,
  quantity,
  unitPrice,
  usd,
  type CostMode,
  type CostResult,
} from '../cdk/cost-model.js';
import { DEFAULT_INCIDENT_POLICY, DEFAULT_SCHEDULE_MINUTES } from '../src/contract/defaults.js';

class UsageError extends Error {}

function wholeNumber(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new UsageError(`--${flag} must be a whole number, got "${raw}"`);
  return Number(raw);
}

function parse(argv: string[]) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        keys: { type: 'string' },
        schedule: { type: 'string' },
        mode: { type: 'string' },
        'history-days': { type: 'string' },
        markdown: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    // Node's messages are one line already; drop its hint about '--' and positionals.
    throw new UsageError((err as Error).message.split('\n')[0]?.replace(/\. To specify a positional.*$/, '') ?? 'bad arguments');
  }
  const mode = values.mode ?? 'gateway';
  if (!(COST_MODES as readonly string[]).includes(mode)) throw new UsageError(`--mode must be one of ${COST_MODES.join(', ')}, got "${mode}"`);
  return {
    help: values.help ?? false,
    markdown: values.markdown ?? false,
    keys: wholeNumber('keys', values.keys, 1),
    scheduleMinutes: wholeNumber('schedule', values.schedule, DEFAULT_SCHEDULE_MINUTES),
    historyDays: wholeNumber('history-days', values['history-days'], DEFAULT_INCIDENT_POLICY.historyDays),
    mode: mode as CostMode,
  };
}

const USAGE = `Usage: npm run cost -- [--keys N] [--schedule MINUTES] [--mode ${COST_MODES.join('|')}] [--history-days N]
       npm run cost -- --markdown`;

function report(r: CostResult): string {
  const { keys, scheduleMinutes, mode } = r.input;
  const rows = r.lines.map((l) => [
    l.item,
    `${quantity(l.quantity)} ${l.unit}`,
    `× ${unitPrice(l.unitPrice)}`,
    usd(l.monthly, l.monthly > 0 && l.monthly < 0.01 ? 4 : 2),
  ]);
  const width = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => (row[i] as string).length)));
  const fmt = (row: string[]) =>
    `  ${(row[0] as string).padEnd(width[0] as number)}  ${(row[1] as string).padStart(width[1] as number)}  ${(row[2] as string).padEnd(width[2] as number)}  ${(row[3] as string).padStart(width[3] as number)}`;
  const total = (label: string, amount: string) =>
    `  ${label.padEnd((width[0] as number) + (width[1] as number) + (width[2] as number) + 4)}  ${amount.padStart(width[3] as number)}`;
  const fixed = r.lines.filter((l) => !l.perKey);
  const perKey = r.lines.filter((l) => l.perKey);
  return [
    `${keys.toLocaleString('en-US')} key(s), every ${scheduleMinutes} min (${Math.round(r.runsPerMonth).toLocaleString('en-US')} runs a month), ${MODE_LABELS[mode]}: US$ per month, us-east-1 list prices, no free tier`,
    '',
    '  Fixed',
    ...fixed.map((l) => fmt(rows[r.lines.indexOf(l)] as string[])),
    `  Per key (${keys.toLocaleString('en-US')})`,
    ...perKey.map((l) => fmt(rows[r.lines.indexOf(l)] as string[])),
    '',
    total('Base (does not grow with keys)', usd(r.base)),
    total('Each further key', usd(r.perKey, 3)),
    total('Each further key, worst case (BatchGetSecretValue and KMS billed per secret)', usd(r.worstCasePerKey, 3)),
    total(`Total for ${keys.toLocaleString('en-US')} key(s)`, usd(r.total)),
    '',
    `  Custom metrics are ${usd(r.maxMetricsMonthly)} instead in a month where every diagnosis, delivery outcome and a refused rotation occur every hour.`,
  ].join('\n');
}

function main(argv: string[]): number {
  let opts;
  try {
    opts = parse(argv);
    if (opts.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (opts.markdown) {
      process.stdout.write(`${costTableMarkdown()}\n`);
      return 0;
    }
    process.stdout.write(`${report(costModel(opts))}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof CostInputError) {
      process.stderr.write(`cost: ${err.message} (--help for usage)\n`);
      return 2;
    }
    process.stderr.write(`cost: ${(err as Error).message}\n`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
