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
  /** The notifier: a notification went out on a channel. */
  deliveriesSent: 'DeliveriesSent',
  /** A channel refused a notification for good (given up, recorded, not retried). */
  deliveriesFailed: 'DeliveriesFailed',
  /** A channel asked to be tried again later; the message was returned to the queue. */
  deliveriesRetried: 'DeliveriesRetried',
  /** A queue message that is no notification or alarm, dropped (it would fail forever). */
  messagesRejected: 'MessagesRejected',
  /** The rotation Lambda refused a staged key (a verdict, not a fault): subtracted from its errors. */
  rotationsRefused: 'RotationsRefused',
} as const;

export const DIMENSION = { service: 'service', diagnosis: 'Diagnosis' } as const;
