import { Token } from 'aws-cdk-lib';
import { DEFAULT_INCIDENT_POLICY } from '../../src/contract/defaults.js';
import { ConfigError, KEY_NAME_PATTERN, securityFields } from '../../src/monitor/runtime-config.js';

/** One exchange API key to watch, and what it must be able to do. */
export interface MonitoredKeyProps {
  /** Short name used in logs, alerts and the incident store (letters, digits, - and _; 1–64 characters); never the API key itself. */
  readonly name: string;
  /**
   * The Secrets Manager secret holding {"apiKey","apiSecret"}, by name. A literal string: the key list
   * is shipped as a file, so a token (a reference resolved at deploy time) cannot be written into it.
   * @default - `secretArn`; with neither, the construct creates an empty secret `exchange-key-monitor/<name>`
   */
  readonly secretName?: string;
  /**
   * The same secret by its full ARN (a literal string, as for `secretName`).
   * @default - `secretName`; with neither, the construct creates an empty secret `exchange-key-monitor/<name>`
   */
  readonly secretArn?: string;
  /**
   * true: the key must be able to trade; false: it must be read-only.
   * @default true
   */
  readonly expectTrade?: boolean;
  /**
   * true: the key is meant to withdraw; otherwise a key that can withdraw is a security finding.
   * @default false
   */
  readonly expectWithdraw?: boolean;
  /**
   * true: the key's account must have derivatives access.
   * @default - derivatives access is not required
   */
  readonly expectDerivatives?: boolean;
  /**
   * true: the key must belong to the master account, not a sub-account.
   * @default - either account will do
   */
  readonly expectMaster?: boolean;
  /**
   * false: no security watch for this key (withdrawals, money leaving, orders the bot did not place).
   * @default true
   */
  readonly securityWatch?: boolean;
  /**
   * A drop of the account's value beyond this share (percent, both checks' quantities valued at the newer prices) between two checks is a security warning.
   * @default 25
   */
  readonly fundsDropPercent?: number;
  /**
   * An asset worth more than this (USD) disappearing between two checks, without its value arriving elsewhere in the account, is a security warning.
   * @default 1000
   */
  readonly assetVanishedUsd?: number;
  /**
   * The client_oid prefix of the bot's orders: open orders without it are "orders your bot did not place".
   * @default - open orders are not compared with the bot's
   */
  readonly botClientOidPrefix?: string;
  /**
   * Withdrawals to these addresses are expected (not alerts).
   * @default - every withdrawal is an alert unless expectWithdraw is true
   */
  readonly allowedWithdrawalAddresses?: string[];
  /**
   * Withdrawals whose client_wid starts with this are expected (not alerts).
   * @default - every withdrawal is an alert unless expectWithdraw is true
   */
  readonly allowedWithdrawalClientWidPrefix?: string;
}

/** A Slack channel reached through Amazon Q Developer in chat applications (formerly AWS Chatbot). */
export interface SlackChannelProps {
  /** The workspace id (like T01ABCDEF23) from the Amazon Q Developer console. */
  readonly workspaceId: string;
  /** The channel id (like C01ABCDEF23). */
  readonly channelId: string;
}

/** A Microsoft Teams channel reached through Amazon Q Developer in chat applications. */
export interface TeamsChannelProps {
  /** The Microsoft Entra tenant id (a UUID). */
  readonly tenantId: string;
  /** The team id (a UUID). */
  readonly teamId: string;
  /** The channel id as Teams' "copy link" shows it (19:…@thread.tacv2) or encoded (19%3a…%40thread.tacv2). */
  readonly channelId: string;
}

/** Who hears about incidents. Webhook channels (Slack, Teams, Discord, Telegram, a signed webhook) live in the channels secret. */
export interface AlertsProps {
  /**
   * Email addresses subscribed to the alert topic (each confirms the subscription SNS sends).
   * @default - no email subscription
   */
  readonly emails?: string[];
  /**
   * A Slack channel through Amazon Q Developer.
   * @default - none
   */
  readonly slack?: SlackChannelProps;
  /**
   * A Microsoft Teams channel through Amazon Q Developer.
   * @default - none
   */
  readonly teams?: TeamsChannelProps;
  /**
   * An existing secret with the webhook channels, by name.
   * @default - the construct creates an empty secret `<stack name>/channels` (README → Channels)
   */
  readonly channelsSecretName?: string;
}

/** When incidents open, resolve and remind, and how long history is kept. */
export interface IncidentProps {
  /**
   * Runs a fault that clears on its own must persist before an incident opens (verdicts open at once).
   * @default 2
   */
  readonly openAfterRuns?: number;
  /**
   * OK runs before an incident resolves.
   * @default 1
   */
  readonly resolveAfterRuns?: number;
  /**
   * Reminder interval in hours while an incident is open; 0 = none.
   * @default 4
   */
  readonly remindEveryHours?: number;
  /**
   * Reminder interval in hours while someone has acknowledged the incident; 0 = none until its diagnosis changes or it resolves.
   * @default 0
   */
  readonly acknowledgedRemindEveryHours?: number;
  /**
   * Days run history and incident records are kept (DynamoDB TTL).
   * @default 30
   */
  readonly historyDays?: number;
  /**
   * Remind to rotate a key whose secret is older than this many days; 0 = never.
   * @default 90
   */
  readonly keyMaxAgeDays?: number;
}

/** The incident policy a monitor runs with when `incidents` leaves a field out. */
export const DEFAULT_INCIDENTS: Required<IncidentProps> = DEFAULT_INCIDENT_POLICY;

/** A monitored key with its defaults filled in. */
export interface ResolvedKey extends MonitoredKeyProps {
  readonly expectTrade: boolean;
}

/** The alert settings with their defaults filled in. */
export interface ResolvedAlerts {
  readonly emails: readonly string[];
  readonly slack: SlackChannelProps | null;
  readonly teams: TeamsChannelProps | null;
  readonly channelsSecretName: string | null;
}

/**
 * The keys as the Lambdas will read them, checked at synth: a key list the function cannot parse
 * would stop every run of a deployed monitor, and a token in it would reach the function as the
 * literal text `${Token[…]}`.
 */
export function resolveKeys(keys: readonly MonitoredKeyProps[]): ResolvedKey[] {
  if (keys.length === 0) throw new ConfigError('keys', 'name at least one key to watch');
  const seen = new Set<string>();
  return keys.map((key, i) => {
    const at = `keys[${i}]`;
    for (const field of ['name', 'secretName', 'secretArn'] as const) {
      if (Token.isUnresolved(key[field])) {
        throw new ConfigError(`${at}.${field}`, 'must be a literal string, not a token: the key list is shipped as a file, written at synth');
      }
    }
    if (!KEY_NAME_PATTERN.test(key.name)) throw new ConfigError(`${at}.name`, 'letters, digits, - and _ only (1–64 characters)');
    if (seen.has(key.name)) throw new ConfigError(`${at}.name`, `"${key.name}" is used twice`);
    seen.add(key.name);
    if (key.secretName !== undefined && key.secretArn !== undefined) throw new ConfigError(at, 'give secretName or secretArn, not both');
    securityFields(key as unknown as Readonly<Record<string, unknown>>, at);
    return { ...key, expectTrade: key.expectTrade ?? true };
  });
}

export function resolveAlerts(alerts: AlertsProps = {}): ResolvedAlerts {
  return { emails: alerts.emails ?? [], slack: alerts.slack ?? null, teams: alerts.teams ?? null, channelsSecretName: alerts.channelsSecretName ?? null };
}

export function resolveIncidents(incidents: IncidentProps = {}): Required<IncidentProps> {
  const d = DEFAULT_INCIDENTS;
  return {
    openAfterRuns: incidents.openAfterRuns ?? d.openAfterRuns,
    resolveAfterRuns: incidents.resolveAfterRuns ?? d.resolveAfterRuns,
    remindEveryHours: incidents.remindEveryHours ?? d.remindEveryHours,
    acknowledgedRemindEveryHours: incidents.acknowledgedRemindEveryHours ?? d.acknowledgedRemindEveryHours,
    historyDays: incidents.historyDays ?? d.historyDays,
    keyMaxAgeDays: incidents.keyMaxAgeDays ?? d.keyMaxAgeDays,
  };
}
