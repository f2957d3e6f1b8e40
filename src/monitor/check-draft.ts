import type { TimedReply } from '../exchange/client.js';
import type { CheckResult } from './types.js';

/**
 * A check's result before it gets its name: what every check function returns. `inconclusive`: the
 * answer proved nothing (a warning whose `ok` is null, never counted as verified).
 */
export type Draft = Omit<CheckResult, 'ok' | 'name'> & { readonly inconclusive?: true };

/** A check's result from its draft: `ok` is null for a check that did not run or whose answer proved nothing. */
export function finish(name: CheckResult['name'], draft: Draft): CheckResult {
  // Most drafts carry no `inconclusive`: copied as they are, without an object rest (7 per key per run).
  if (!('inconclusive' in draft)) return { name, ok: draft.status === 'fail' ? false : draft.status === 'skip' ? null : true, ...draft };
  const { inconclusive, ...rest } = draft;
  const ok = draft.status === 'fail' ? false : draft.status === 'skip' || inconclusive ? null : true;
  return { name, ok, ...rest };
}

/** The timing and codes of an exchange call, as a check reports them. */
export function fromReply(timed: TimedReply): Pick<CheckResult, 'code' | 'httpStatus' | 'latencyMs' | 'elapsedMs' | 'attempts'> {
  const { reply } = timed;
  return {
    code: reply.kind === 'answer' ? reply.code : null,
    httpStatus: reply.kind === 'network' ? null : reply.httpStatus,
    latencyMs: timed.latencyMs,
    elapsedMs: timed.totalMs,
    attempts: timed.attempts,
  };
}

export const NOT_TIMED = { code: null, httpStatus: null, latencyMs: 0, elapsedMs: 0, attempts: 0 } as const;

/** A check that did not run, or whose answer proves nothing: `ok` null, never counted as passed. */
export const skipped = (detail: string): Draft => ({ status: 'skip', ...NOT_TIMED, detail });
