/**
 * Metric names and dimensions, shared with the CDK alarms, dashboard and cost model so they cannot
 * drift. Every name × dimension combination is a billed custom metric: this set is fixed, the same
 * at 1 key and at 1,000 (per-key history lives in the incident store and the log).
 */
export const METRIC = {
  /** The heartbeat: one value per completed check run (its count is the keys checked). */
  keysChecked: 'KeysChecked',
  keysUnhealthy: 'KeysUnhealthy',
  /** Signed-read round trip, one value per key per run: graph p50/p90/max. */
  exchangeLatency: 'ExchangeLatency',
  /** Dimension Diagnosis; emitted only for diagnoses seen in a run. */
  unhealthyKeys: 'UnhealthyKeys',
  deliveriesSent: 'DeliveriesSent',
  deliveriesFailed: 'DeliveriesFailed',
  /** The rotation Lambda refused a staged key (a verdict, not a fault): subtracted from its errors. */
  rotationsRefused: 'RotationsRefused',
} as const;

export const DIMENSION = { service: 'service', diagnosis: 'Diagnosis' } as const;
