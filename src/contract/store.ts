/**
 * The incident store's layout (one DynamoDB table, on demand, TTL on `expiresAt`), shared by the
 * stack that creates it, the Lambdas that write it and the CLI that reads it.
 *
 *   pk                         sk                      what
 *   KEY#<name>                 STATE                   the key's incident state (version-locked; written when it changes)
 *   KEY#<name>                 RUN#<iso time>          a run that was not healthy or changed the key's state (TTL: history days)
 *   KEY#<name>                 INCIDENT#<iso opened>   an incident: opened, later resolved (TTL)
 *   KEY#<name>                 TRIGGER                 until when a triggered verification of the key is under way (debounce; TTL)
 *   MONITOR                    STATE                   monitor-level incident, mute, maintenance cache
 *   MONITOR                    KEYS                    the key names the last run checked
 *   MONITOR                    RECENT                  the last incidents, for `key-monitor status`
 *   MONITOR                    RUNS#<shard>            run records of up to 100 keys: last checked, day counts, carried probe answers
 *   MONITOR                    INCIDENT#<iso opened>   a monitor-level incident (TTL)
 *   DELIVERY#<notification id> <channel>               a notification delivered (or given up) on a channel (TTL)
 */
export const STORE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
} as const;

export const keyPk = (name: string) => `KEY#${name}`;
export const MONITOR_PK = 'MONITOR';
export const STATE_SK = 'STATE';
export const TRIGGER_SK = 'TRIGGER';
export const runSk = (at: number) => `RUN#${new Date(at).toISOString()}`;
export const runShardSk = (index: number) => `RUNS#${String(index).padStart(3, '0')}`;
export const incidentSk = (openedAt: number) => `INCIDENT#${new Date(openedAt).toISOString()}`;
export const deliveryPk = (notificationId: string) => `DELIVERY#${notificationId}`;

/** How long delivery records are kept: longer than any message can stay in the queue. */
export const DELIVERY_RECORD_DAYS = 14;
