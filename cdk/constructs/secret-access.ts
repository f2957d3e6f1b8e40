import { Aws, RemovalPolicy, SecretValue, Tags, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { ResolvedKey } from './monitor-props.js';

/**
 * The monitored keys' secrets and who may touch them. Up to EXACT_SECRET_LIMIT secrets, every
 * policy lists each secret exactly; beyond that a list of ARNs outgrows IAM's policy size limit
 * (10,240 characters per role), so access is granted by tag instead: every secret carrying
 * `exchange-key-monitor=<this monitor's tag value>` (the stack tags the secrets it creates; tag
 * imported ones yourself, README → Many keys).
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
}

/** Secrets for keys that name none are created here, empty, and kept on destroy and on key renames. */
export function monitoredSecrets(scope: Construct, keys: readonly ResolvedKey[], tagValue: string): MonitoredSecret[] {
  return keys.map((key) => {
    if (key.secretArn) return { key, secretId: key.secretArn, policyArn: key.secretArn };
    if (key.secretName) {
      return { key, secretId: key.secretName, policyArn: `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${key.secretName}-??????` };
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
    return { key, secretId: secretName, policyArn: secret.secretArn };
  });
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
