/**
 * The notifier's metrics: a fixed set of counts with the `service` dimension only (never per
 * channel or per key: each combination is a billed custom metric). Shared with the stack's alarms.
 */
export const DELIVERY_METRIC = {
  /** A notification went out on a channel. */
  sent: 'DeliveriesSent',
  /** A channel refused a notification for good (given up, recorded, not retried). */
  failed: 'DeliveriesFailed',
  /** A channel asked to be tried again later; the message was returned to the queue. */
  retried: 'DeliveriesRetried',
  /** A queue message that is no notification or alarm, dropped (it would fail forever). */
  rejected: 'MessagesRejected',
} as const;
