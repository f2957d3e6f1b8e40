import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV } from '../../src/contract/env.js';
import { keyPk, MONITOR_PK } from '../../src/contract/store.js';
import { MonitorFunction } from './monitor-function.js';
import type { NotificationPath } from './notification-path.js';

/** A person clicks a link now and then: two at once is plenty, and a flood of requests cannot cost more. */
export const ACK_CONCURRENCY = 2;

export interface AckEndpointProps {
  readonly metricsNamespace: string;
  /** The incident store and queue settings the function shares with the check function. */
  readonly environment: Record<string, string>;
  readonly table: dynamodb.ITable;
  readonly notifications: NotificationPath;
}

/**
 * The Acknowledge link's endpoint: a function behind a function URL with no AWS auth (a person's
 * browser opens it), which authenticates every request by the link's HMAC signature. The secret that
 * signs links is generated here. The function may read that secret and the channels secret (for
 * Telegram's button presses), read and write the incident state items (not the delivery ledger), and
 * enqueue the `acknowledged` notification; nothing else.
 */
export class AckEndpoint extends Construct {
  readonly secret: secretsmanager.Secret;
  readonly function: MonitorFunction;
  readonly url: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: AckEndpointProps) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'LinkKey', {
      description: 'exchange-key-monitor: signs Acknowledge links in alerts (HMAC-SHA256); generated, never shown',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason:
        'A new value only invalidates the Acknowledge links of alerts already sent (each link expires within 7 days anyway); put-secret-value rotates it by hand.',
    });
    this.function = new MonitorFunction(this, 'Function', {
      bundle: 'ack',
      description: 'Acknowledge links in alerts: shows a confirmation page, acknowledges an open incident on its POST',
      placement: null,
      timeout: Duration.seconds(10),
      metricsNamespace: props.metricsNamespace,
      environment: {
        ...props.environment,
        [ENV.ackSecretId]: this.secret.secretArn,
        // Telegram's button presses: the bot's webhook secret token and its token (to answer the press).
        [ENV.channelsSecretId]: props.notifications.channelsSecret.secretName,
      },
      reservedConcurrency: ACK_CONCURRENCY,
    });
    this.secret.grantRead(this.function);
    props.notifications.channelsSecret.grantRead(this.function);
    // The state items only (KEY#… and MONITOR partitions); the delivery ledger's DELIVERY#… items stay out of reach.
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [props.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [keyPk('*'), MONITOR_PK] } },
      }),
    );
    props.notifications.allowEnqueue(this.function);
    this.url = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
  }

  /** Let a function sign links: its environment names the endpoint and the secret, and it may read the secret. */
  allowSigning(fn: lambda.Function): void {
    fn.addEnvironment(ENV.ackUrl, this.url.url);
    fn.addEnvironment(ENV.ackSecretId, this.secret.secretArn);
    this.secret.grantRead(fn);
  }
}
