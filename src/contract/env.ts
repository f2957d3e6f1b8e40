/**
 * Environment variable names the CDK stack writes and the Lambdas read. Only small, fixed-size
 * values live here (Lambda allows 4 KB in all); the key list is configuration shipped as a file.
 */
export const ENV = {
  /** Path of the monitored-keys JSON file (bundled with the function). */
  keysFile: 'MONITORED_KEYS_FILE',
  /** The key list inline, for local runs and tests; the stack uses keysFile. */
  keys: 'MONITORED_KEYS',
  baseUrl: 'EXCHANGE_BASE_URL',
  ipEchoUrl: 'IP_ECHO_URL',
  expectedIp: 'EXPECTED_EGRESS_IP',
  timeoutMs: 'CHECK_TIMEOUT_MS',
  secretCacheTtlMs: 'SECRET_CACHE_TTL_MS',
  /** How often a healthy key's trade probe and account read run (minutes; 0 = every run). */
  spacedProbeMinutes: 'SPACED_PROBE_MINUTES',
  /** The deployment's name (the stack name): every notification says where it comes from. */
  monitorName: 'MONITOR_NAME',
  /** The CloudWatch dashboard, linked from every notification. */
  dashboardUrl: 'DASHBOARD_URL',
  /** The check function's log group, for the Logs Insights link in notifications. */
  checkLogGroup: 'CHECK_LOG_GROUP',
  /** The incident store (DynamoDB table name). */
  stateTable: 'STATE_TABLE',
  /** The notification queue every notification goes through (SQS URL). */
  notificationQueueUrl: 'NOTIFICATION_QUEUE_URL',
  /** Incident policy. */
  openAfterRuns: 'OPEN_AFTER_RUNS',
  resolveAfterRuns: 'RESOLVE_AFTER_RUNS',
  remindEveryHours: 'REMIND_EVERY_HOURS',
  acknowledgedRemindEveryHours: 'ACKNOWLEDGED_REMIND_EVERY_HOURS',
  historyDays: 'HISTORY_DAYS',
  keyMaxAgeDays: 'KEY_MAX_AGE_DAYS',
  /** Proxy egress: the forward proxy, and the secret holding its token (never the token itself). */
  proxyUrl: 'EXCHANGE_PROXY_URL',
  proxyTokenSecretId: 'EXCHANGE_PROXY_TOKEN_SECRET_ID',
  /** Where exchange maintenance is announced (public/get-announcements). */
  announcementsUrl: 'ANNOUNCEMENTS_URL',
  /** Notifier: the channels secret (tokens and webhook URLs), the email topic, the Amazon Q topic. */
  channelsSecretId: 'CHANNELS_SECRET_ID',
  emailTopicArn: 'EMAIL_TOPIC_ARN',
  chatbotTopicArn: 'CHATBOT_TOPIC_ARN',
  /** Acknowledge links: the endpoint's URL (alerts link to it) and the secret whose value signs them. */
  ackUrl: 'ACK_URL',
  ackSecretId: 'ACK_SECRET_ID',
} as const;

/** The key list file name inside a function's bundle. */
export const KEYS_FILE_NAME = 'monitored-keys.json';
