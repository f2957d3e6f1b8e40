/**
 * One key's security watch after its check: this run's balances against the last run's (run records),
 * the orders the bot did not place (the exposure read), and the withdrawals the check read. Pure: it
 * reuses what the check already read and makes no call of its own.
 */
import type { DatedBalance } from './balance-summary.js';
import type { MonitoredKey } from './runtime-config.js';
import {
  DEFAULT_ASSET_VANISHED_USD,
  DEFAULT_FUNDS_DROP_PERCENT,
  foreignOrdersFinding,
  fundsFinding,
  type SecurityFinding,
  type SecuritySettings,
} from './security-findings.js';
import type { Report } from './types.js';

export function securitySettingsOf(key: MonitoredKey): SecuritySettings {
  return {
    enabled: key.securityWatch !== false,
    fundsDropPercent: key.fundsDropPercent ?? DEFAULT_FUNDS_DROP_PERCENT,
    assetVanishedUsd: key.assetVanishedUsd ?? DEFAULT_ASSET_VANISHED_USD,
    botClientOidPrefix: key.botClientOidPrefix ?? null,
  };
}

export interface WatchInput {
  readonly settings: SecuritySettings;
  readonly report: Report;
  readonly now: number;
  /** The account's balances at the last good read before this run, when they were read with the same API key. */
  readonly lastBalance: DatedBalance | undefined;
  /** Findings the check itself made (withdrawals). */
  readonly found?: readonly SecurityFinding[] | undefined;
}

export function securityFindings(input: WatchInput): SecurityFinding[] {
  if (!input.settings.enabled) return [];
  const out: SecurityFinding[] = [...(input.found ?? [])];
  const read = input.report.checks.find((c) => c.name === 'signed-read');
  const summary = read?.status === 'pass' ? read.balances?.summary : undefined;
  if (summary && input.lastBalance) {
    const funds = fundsFinding(input.lastBalance, { at: input.now, ...summary }, input.settings);
    if (funds) out.push(funds);
  }
  const foreign = foreignOrdersFinding(input.report.exposure, input.settings.botClientOidPrefix);
  if (foreign) out.push(foreign);
  return out;
}
