import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as destinations from 'aws-cdk-lib/aws-logs-destinations';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { BOT_LOG_GROUPS_ENV, DEFAULT_BOT_LOG_FILTER_PATTERN } from '../../src/contract/trigger.js';
import { ConfigError } from '../../src/monitor/runtime-config.js';
import type { MonitoredKey } from '../../src/monitor/runtime-config.js';
import { MonitorFunction, type FunctionPlacement } from './monitor-function.js';
import type { NotificationPath } from './notification-path.js';
import { grantOnSecrets, type MonitoredSecret } from './secret-access.js';

/** A bot's log group whose authentication refusals start a verification of the key it uses. */
export interface BotLogGroup {
  /** The bot's log group (ECS awslogs driver, the CloudWatch agent on EC2, Lambda…). */
  readonly logGroup: logs.ILogGroup;
  /** The monitored key (its `name` in `keys`) the bot uses. */
  readonly key: string;
  /**
   * Which log lines start a verification (CloudWatch Logs filter pattern syntax).
   * @default DEFAULT_BOT_LOG_FILTER_PATTERN: the exchange's codes 40101, 40102, 40103 and UNAUTHORIZED, IP_ILLEGAL
   */
  readonly filterPattern?: string;
}

/** Two verifications at once at most: each is one key's handful of calls; a log storm waits, it never fans out. */
export const VERIFY_CONCURRENCY = 2;
/** The map of log groups travels in the 4 KB environment (log group names are up to 512 characters). */
const MAX_BOT_LOG_GROUPS = 20;
const MAX_BOT_LOG_GROUPS_CHARS = 2_000;

export interface VerifyFunctionProps {
  readonly placement: FunctionPlacement | null;
  readonly metricsNamespace: string;
  readonly environment: Record<string, string>;
  readonly keys: readonly MonitoredKey[];
  readonly secrets: readonly MonitoredSecret[];
  readonly tagValue: string;
  readonly proxyTokenSecret: secretsmanager.ISecret | null;
  readonly table: dynamodb.ITable;
  readonly notifications: NotificationPath;
  readonly botLogGroups: readonly BotLogGroup[];
}

/** Named errors for a botLogGroups entry that could not work: a key nobody monitors, a log group given twice. */
export function checkBotLogGroups(groups: readonly BotLogGroup[], keyNames: readonly string[]): void {
  if (groups.length > MAX_BOT_LOG_GROUPS)
    throw new ConfigError('botLogGroups', `at most ${MAX_BOT_LOG_GROUPS} log groups (the map travels in the function's environment); got ${groups.length}`);
  const seen = new Set<string>();
  // Lambda's environment holds 4 KB in all; the map shares it with the rest of the function's settings.
  const names = groups.map((g) => g.logGroup.logGroupName);
  if (names.every((n) => !Token.isUnresolved(n))) {
    const size = JSON.stringify(Object.fromEntries(groups.map((g) => [g.logGroup.logGroupName, g.key]))).length;
    if (size > MAX_BOT_LOG_GROUPS_CHARS)
      throw new ConfigError(
        'botLogGroups',
        `the log group names and keys take ${size} characters; at most ${MAX_BOT_LOG_GROUPS_CHARS} fit the function's environment (use fewer or shorter log groups, or nudge)`,
      );
  }
  groups.forEach((g, i) => {
    if (!keyNames.includes(g.key)) throw new ConfigError(`botLogGroups[${i}].key`, `"${g.key}" is not a monitored key (keys: ${keyNames.join(', ')})`);
    const name = g.logGroup.logGroupName;
    if (!Token.isUnresolved(name)) {
      if (seen.has(name)) throw new ConfigError(`botLogGroups[${i}].logGroup`, `"${name}" is given twice`);
      seen.add(name);
    }
    if (g.filterPattern !== undefined && (g.filterPattern.trim() === '' || g.filterPattern.length > 1024))
      throw new ConfigError(`botLogGroups[${i}].filterPattern`, 'must be a CloudWatch Logs filter pattern of 1 to 1024 characters');
  });
}

/**
 * What a function that checks keys and records incidents may do, and nothing more: read the monitored
 * secrets (one at a time or in batches) and the proxy token, read and write the incident store, and
 * enqueue notifications. The check and verify functions share it.
 */
export function grantCheckAccess(
  fn: MonitorFunction,
  props: Pick<VerifyFunctionProps, 'secrets' | 'tagValue' | 'proxyTokenSecret' | 'table' | 'notifications'>,
): void {
  const role = fn.role as iam.IRole;
  grantOnSecrets(role, props.secrets, ['secretsmanager:GetSecretValue'], props.tagValue);
  // BatchGetSecretValue has no resource-level scoping; it returns only secrets GetSecretValue allows (above).
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:BatchGetSecretValue'], resources: ['*'] }));
  Validations.of(role).acknowledge({
    id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    reason:
      'Two actions with no resource-level scoping in AWS: BatchGetSecretValue (each secret it returns still needs the per-secret GetSecretValue grant) ' +
      'and, in a VPC, Lambda’s network-interface actions.',
  });
  props.proxyTokenSecret?.grantRead(fn);
  props.table.grant(fn, 'dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem');
  props.notifications.allowEnqueue(fn);
}

/**
 * The verify function: the check function's code path for one key, placed like it (same subnets or
 * proxy, so it leaves from the whitelisted IP), started by a subscription filter on each bot log
 * group or by a nudge. It may read the monitored secrets, write the key's state and enqueue
 * notifications; it writes no metrics and changes no key list.
 */
export function verifyFunction(scope: Construct, props: VerifyFunctionProps): MonitorFunction {
  checkBotLogGroups(
    props.botLogGroups,
    props.keys.map((k) => k.name),
  );
  const fn = new MonitorFunction(scope, 'VerifyFunction', {
    bundle: 'verify',
    description: 'Verifies one exchange API key now, when its bot logs an authentication failure or a nudge asks; opens the incident on its own answer',
    placement: props.placement,
    timeout: Duration.seconds(30),
    metricsNamespace: props.metricsNamespace,
    environment: {
      ...props.environment,
      [BOT_LOG_GROUPS_ENV]: Stack.of(scope).toJsonString(Object.fromEntries(props.botLogGroups.map((g) => [g.logGroup.logGroupName, g.key]))),
    },
    keys: props.keys,
    reservedConcurrency: VERIFY_CONCURRENCY,
  });
  grantCheckAccess(fn, props);
  // A failed verification is not retried later: by then the scheduled run has seen the key.
  fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.seconds(60) });
  props.botLogGroups.forEach((g, i) => {
    // LambdaDestination adds the invoke permission for logs.amazonaws.com, scoped to this log group's ARN.
    new logs.SubscriptionFilter(scope, `BotLogTrigger${i}`, {
      logGroup: g.logGroup,
      destination: new destinations.LambdaDestination(fn),
      filterPattern: logs.FilterPattern.literal(g.filterPattern ?? DEFAULT_BOT_LOG_FILTER_PATTERN),
      // Named for this stack too: two monitors (staging and prod) may subscribe the same log group.
      filterName: `${Stack.of(scope).stackName}-key-monitor-${g.key}`.slice(0, 512),
    });
  });
  return fn;
}
