/**
 * The instant trigger's contract, shared by the stack (subscription filters, the verify function's
 * environment) and the verify function that reads it.
 */

/** The bot's log lines that start a verification: the exchange's authentication and IP refusals. */
export const DEFAULT_BOT_LOG_FILTER_PATTERN = '?40101 ?40102 ?40103 ?UNAUTHORIZED ?IP_ILLEGAL';

/** At most one triggered verification per key in this window, whatever the log volume. */
export const TRIGGER_DEBOUNCE_MS = 60_000;

/** The verify function's map from a bot's log group name to the monitored key it uses (JSON object). */
export const BOT_LOG_GROUPS_ENV = 'BOT_LOG_GROUPS';
