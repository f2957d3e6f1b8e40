/**
 * What `key-monitor verify` asks the check function for, and what it answers: the contract between
 * the CLI and the deployed Lambda. A deployment check is a full run (incidents recorded as usual)
 * with every probe sent for every key, answered with each key's verdict, the egress IP it saw and the
 * exchange's own answers to the probes whose codes are undocumented.
 */
export const DEPLOYMENT_CHECK_EVENT = { deploymentCheck: true } as const;

export function isDeploymentCheck(event: unknown): boolean {
  return typeof event === 'object' && event !== null && (event as { deploymentCheck?: unknown }).deploymentCheck === true;
}

/** The probes whose refusal codes the exchange does not document: a user confirms them once on a live key. */
export const UNDOCUMENTED_PROBES = ['trade-permission', 'withdraw-permission'] as const;

export interface ProbeAnswer {
  readonly probe: (typeof UNDOCUMENTED_PROBES)[number];
  readonly status: string;
  readonly httpStatus: number | null;
  readonly code: number | null;
  /** Display-safe and redacted, as every check detail. */
  readonly detail: string;
}

export interface KeyVerdict {
  readonly key: string;
  readonly secretId: string;
  readonly keyPrefix: string | null;
  readonly diagnosis: string;
  readonly healthy: boolean;
  readonly title: string;
  readonly advice: string;
  readonly egressIp: string | null;
  readonly probes: readonly ProbeAnswer[];
}
