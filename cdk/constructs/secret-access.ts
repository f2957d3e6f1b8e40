import { Aws, RemovalPolicy, SecretValue, Tags, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { ResolvedKey } from './monitor-props.js';
import { secretArnParts } from '../../src/monitor/runtime-config.js';

/**
 * The monitored keys' secrets and who may touch them. Up to EXACT_SECRET_LIMIT secrets, every
 * policy lists each secret exactly; beyond that a list of ARNs outgrows IAM's policy size limit
 * (10,240 characters per role), so access is granted by tag instead: every secret carrying
 * `exchange-key-monitor=<this monitor's tag value>` (the stack tags the secrets it creates; tag
 * imported ones yourself, README → Configure).
 */
export const EXACT_SECRET_LIMIT = 50;
export const ACCESS_TAG_KEY = 'exchange-key-monitor';
export const CREATED_SECRET_PREFIX = 'exchange-key-monitor/';

export interface MonitoredSecret {
  readonly key: ResolvedKey;
  /** What the Lambdas pass to GetSecretValue: always a literal string, since it is written into the key list file. */
  readonly secretId: string;
  /** The exact IAM resource: a full ARN, or name + the 6-character suffix Secrets Manager adds. */
  readonly policyArn: string;
  /** The secret's name (known at synth even when its ARN is a token). */
  readonly name: string;
}

/** Secrets for keys that name none are created here, empty, and kept on destroy and on key renames. */
export function monitoredSecrets(scope: Construct, keys: readonly ResolvedKey[], tagValue: string): MonitoredSecret[] {
  return keys.map((key) => {
    if (key.secretArn)
      return {
        key,
        secretId: key.secretArn,
        policyArn: key.secretArn,
        name: secretArnParts(key.secretArn)?.name ?? key.secretArn.slice(key.secretArn.indexOf(':secret:') + 8),
      };
    if (key.secretName) {
      return {
        key,
        secretId: key.secretName,
        policyArn: `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${key.secretName}-??????`,
        name: key.secretName,
      };
    }
    const secretName = `${CREATED_SECRET_PREFIX}${key.name}`;
    const secret = new secretsmanager.Secret(scope, `${key.name}Secret`, {
      secretName,
      description: `Crypto.com Exchange API key "${key.name}": {"apiKey":"…","apiSecret":"…"} (fill with put-secret-value)`,
      // Empty placeholders: the monitor reports CREDENTIALS_MISSING until the operator fills them in.
      secretObjectValue: { apiKey: SecretValue.unsafePlainText(''), apiSecret: SecretValue.unsafePlainText('') },
      // It holds the live key and its backup (AWSPREVIOUS): never delete it with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Tags.of(secret).add(ACCESS_TAG_KEY, tagValue);
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason:
        'Rotation is on demand (key-monitor rotate attaches the rotation Lambda): exchange keys cannot be created by API, ' +
        'so a schedule could only fail. The monitor reminds when a key passes keyMaxAgeDays.',
    });
    // By name: the ARN is known only at deploy time and would reach the key file as `${Token[…]}`.
    return { key, secretId: secretName, policyArn: secret.secretArn, name: secretName };
  });
}

/**
 * Up to this many secrets, Secrets Manager may invoke the rotation function for each one named
 * exactly (one Lambda permission each), while they also fit INVOKE_POLICY_BUDGET.
 */
export const EXACT_INVOKE_LIMIT = 20;
/** Of the function's resource policy (Lambda allows 20 KB), what these permissions may take; the rest is the user's. */
export const INVOKE_POLICY_BUDGET = 15_000;
/** One permission statement apart from the secret's name, at the longest ids and ARNs AWS generates. */
const INVOKE_STATEMENT_BYTES = 560;

/**
 * Which secrets' rotations may invoke the rotation function (the permission's SourceArn). Exact
 * ARNs while they fit; beyond that one pattern, `…:secret:<the longest name prefix all monitored
 * secrets share>*` in this account and region (README → Configure). The rotation function still
 * refuses any secret that is not one of its keys.
 */
export function rotationInvokeSources(secrets: readonly MonitoredSecret[]): string[] {
  const bytes = secrets.reduce((sum, s) => sum + INVOKE_STATEMENT_BYTES + s.name.length, 0);
  if (secrets.length <= EXACT_INVOKE_LIMIT && bytes <= INVOKE_POLICY_BUDGET) return secrets.map((s) => s.policyArn);
  const names = secrets.map((s) => s.name);
  let prefix = names[0] ?? '';
  for (const name of names) while (!name.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return [`arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${prefix}*`];
}

/** Grant `actions` on exactly the monitored secrets (few), or on those carrying the monitor's tag (many). */
export function grantOnSecrets(role: iam.IRole, secrets: readonly MonitoredSecret[], actions: string[], tagValue: string): void {
  if (secrets.length <= EXACT_SECRET_LIMIT) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: secrets.map((s) => s.policyArn) }));
    return;
  }
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions,
      resources: [`arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:*`],
      conditions: { StringEquals: { [`aws:ResourceTag/${ACCESS_TAG_KEY}`]: tagValue } },
    }),
  );
  Validations.of(role).acknowledge({
    id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:*]`,
    reason: `More than ${EXACT_SECRET_LIMIT} secrets outgrow IAM's policy size; access is limited to secrets tagged ${ACCESS_TAG_KEY}=${tagValue}.`,
  });
}
