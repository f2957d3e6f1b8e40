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
import type { BalanceSummary } from './balance-summary.js';
import { slotDue } from './cadence.js';
import { notDeterminedFinding, unreadFinding, type WithdrawalAllowance, type WithdrawalCursor, type WithdrawalPlan } from './withdrawal-watch.js';

const HOUR_MS = 3_600_000;

export function securitySettingsOf(key: MonitoredKey): SecuritySettings {
  return {
    enabled: key.securityWatch !== false,
    fundsDropPercent: key.fundsDropPercent ?? DEFAULT_FUNDS_DROP_PERCENT,
    assetVanishedUsd: key.assetVanishedUsd ?? DEFAULT_ASSET_VANISHED_USD,
    botClientOidPrefix: key.botClientOidPrefix ?? null,
  };
}

export function withdrawalAllowanceOf(key: MonitoredKey): WithdrawalAllowance {
  return {
    expectWithdraw: key.expectWithdraw === true,
    addresses: key.allowedWithdrawalAddresses ?? [],
    clientWidPrefix: key.allowedWithdrawalClientWidPrefix ?? null,
  };
}

export interface WatchInput {
  readonly settings: SecuritySettings;
  readonly report: Report;
  readonly now: number;
  /** The account's balances at the last good read before this run, when they were read with the same API key. */
  readonly lastBalance: DatedBalance | undefined;
  /** The withdrawal cursor before this run: a refusal already said is not said again. */
  readonly lastCursor?: WithdrawalCursor | undefined;
  /** keyIdOf the API key checked. */
  readonly keyId?: string | undefined;
}

export function securityFindings(input: WatchInput): SecurityFinding[] {
  if (!input.settings.enabled) return [];
  const look = input.report.withdrawalWatch;
  const out: SecurityFinding[] = [];
  if (look?.kind === 'read') out.push(...look.found);
  if (look?.kind === 'refused' && input.lastCursor?.refusedAt === undefined) out.push(notDeterminedFinding(look.seen, input.keyId ?? null));
  const unread = unreadFinding(look, input.now, input.keyId ?? null);
  if (unread) out.push(unread);
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

/**
 * The scheduled run's plan: the first look starts now; then once an hour per key (a slot fixed by the
 * key's name), and in between only when some asset's quantity fell since the last run.
 */
export function withdrawalPlanOf(
  name: string,
  enabled: boolean,
  cursor: WithdrawalCursor | undefined,
  last: { readonly at: number; readonly balance?: BalanceSummary | undefined } | undefined,
  now: number,
): WithdrawalPlan {
  if (!enabled) return { kind: 'off' };
  if (!cursor) return { kind: 'start' };
  if (!last || slotDue(`${name}#withdrawals`, HOUR_MS, last.at, now) || !last.balance) return { kind: 'read', cursor };
  return { kind: 'if-dropped', cursor, last: last.balance };
}

const DAY_MS = 24 * HOUR_MS;

/**
 * The scheduled run's plan from the key's run record. A new API key under the same name (a rotation)
 * keeps watching the account from where the old key's last look ended, at most a day back: starting
 * "now" would lose a withdrawal made between that look and the rotation, the very moment a leaked key
 * is rotated. What the old key was refused or skipped is not carried; its balance is not compared
 * (security-watch's lastBalance), since a new key may be on another account.
 */
export function withdrawalPlanForRun(
  name: string,
  enabled: boolean,
  last:
    | {
        readonly at: number;
        readonly keyId?: string | undefined;
        readonly balance?: BalanceSummary | undefined;
        readonly withdrawals?: WithdrawalCursor | undefined;
      }
    | undefined,
  keyId: string | null,
  now: number,
): WithdrawalPlan {
  if (last !== undefined && last.keyId === keyId) return withdrawalPlanOf(name, enabled, last.withdrawals, last, now);
  if (!enabled) return { kind: 'off' };
  const prior = last?.withdrawals;
  if (!prior) return { kind: 'start' };
  const since = Math.max(prior.since, now - DAY_MS);
  return { kind: 'read', cursor: { since, ids: since === prior.since ? prior.ids : [] } };
}
