import { Duration, RemovalPolicy, SecretValue, Stack, Validations } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../src/contract/env.js';
import type { ResolvedAlerts } from './monitor-props.js';
import { MonitorFunction } from './monitor-function.js';

export interface NotificationPathProps {
  readonly alerts: ResolvedAlerts;
  readonly metricsNamespace: string;
  /** Common environment for the notifier (monitor name, dashboard, table). */
  readonly environment: Record<string, string>;
}

/** A failed delivery is retried with back-off this many times before it lands in the dead-letter queue. */
import { MAX_DELIVERY_ATTEMPTS } from './monitor-alarms.js';

export { MAX_DELIVERY_ATTEMPTS };
export const NOTIFIER_TIMEOUT = Duration.seconds(60);

/**
 * Every notification takes one path: producers (the check and rotation Lambdas, CloudWatch alarms
 * through their own topic, the CLI) → the notification queue → the notifier → every channel. A
 * failed delivery is retried with back-off by the queue and ends, visible, in the dead-letter
 * queue. Everything that carries alert text is encrypted with one customer-managed KMS key that
 * CloudWatch alarms and SNS may use (AWS-managed SNS keys cannot be used by CloudWatch alarms).
 */
export class NotificationPath extends Construct {
  readonly key: kms.Key;
  /** Email subscribers (and anything else an operator subscribes). */
  readonly emailTopic: sns.Topic;
  /** CloudWatch alarms publish here; it feeds the queue. */
  readonly alarmTopic: sns.Topic;
  /** Amazon Q Developer in chat applications (Slack/Teams), when configured. */
  readonly chatbotTopic: sns.Topic | null;
  readonly queue: sqs.Queue;
  readonly deadLetters: sqs.Queue;
  readonly channelsSecret: secretsmanager.ISecret;
  readonly notifier: MonitorFunction;

  constructor(scope: Construct, id: string, props: NotificationPathProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = new kms.Key(this, 'AlertsKey', {
      description: 'exchange-key-monitor: encrypts alert topics and the notification queues (alerts carry balance totals)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // A key policy's "*" is the key itself. CloudWatch alarms publish to the encrypted topics and SNS
    // delivers from them into the encrypted queue, each only on behalf of this account (no confused
    // deputy: another account's alarm or topic cannot use this key through the service).
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );

    this.emailTopic = new sns.Topic(this, 'Alerts', { displayName: 'Exchange key monitor', enforceSSL: true, masterKey: this.key });
    for (const email of props.alerts.emails) this.emailTopic.addSubscription(new subscriptions.EmailSubscription(email));
    this.alarmTopic = new sns.Topic(this, 'AlarmEvents', {
      displayName: 'Exchange key monitor: CloudWatch alarm events',
      enforceSSL: true,
      masterKey: this.key,
    });

    this.deadLetters = new sqs.Queue(this, 'DeadLetters', { encryptionMasterKey: this.key, enforceSSL: true, retentionPeriod: Duration.days(14) });
    this.queue = new sqs.Queue(this, 'Notifications', {
      encryptionMasterKey: this.key,
      enforceSSL: true,
      // AWS's guidance for a Lambda event source: at least six times the function's timeout.
      visibilityTimeout: Duration.seconds(NOTIFIER_TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: MAX_DELIVERY_ATTEMPTS },
    });
    // Subscribed by hand rather than with SqsSubscription: that helper also writes the topic's ARN into
    // the key policy, and the topic is encrypted with the same key, a dependency cycle. The key policy
    // above already admits SNS from this account; the queue policy names this topic only.
    new sns.Subscription(this, 'AlarmEventsToQueue', {
      topic: this.alarmTopic,
      protocol: sns.SubscriptionProtocol.SQS,
      endpoint: this.queue.queueArn,
      rawMessageDelivery: false,
    });
    this.queue.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': this.alarmTopic.topicArn } },
      }),
    );

    this.chatbotTopic = props.alerts.slack || props.alerts.teams ? this.chatbot(props.alerts) : null;

    this.channelsSecret = props.alerts.channelsSecretName
      ? secretsmanager.Secret.fromSecretNameV2(this, 'ChannelsSecret', props.alerts.channelsSecretName)
      : new secretsmanager.Secret(this, 'ChannelsSecret', {
          secretName: `${stack.stackName}/channels`,
          description:
            'exchange-key-monitor chat channels: {"slack":{"webhookUrl"},"telegram":{"botToken","chatId"},"discord":{"webhookUrl"},"teams":{"webhookUrl"},"webhook":{"url","signingSecret"}} (README → Channels)',
          secretStringValue: SecretValue.unsafePlainText('{}'),
          removalPolicy: RemovalPolicy.RETAIN,
        });
    if (!props.alerts.channelsSecretName) {
      Validations.of(this.channelsSecret).acknowledge({
        id: 'AwsSolutions::AwsSolutions-SMG4',
        reason: 'Webhook URLs and bot tokens are issued by Slack/Telegram/Discord; nothing on AWS can rotate them.',
      });
    }

    this.notifier = new MonitorFunction(this, 'NotifierFunction', {
      bundle: 'notify',
      description: 'Delivers exchange-key-monitor notifications to every channel (email, chat, webhooks), once each',
      placement: null,
      timeout: NOTIFIER_TIMEOUT,
      metricsNamespace: props.metricsNamespace,
      environment: {
        ...props.environment,
        [ENV.channelsSecretId]: this.channelsSecret.secretName,
        [ENV.emailTopicArn]: this.emailTopic.topicArn,
        ...(this.chatbotTopic ? { [ENV.chatbotTopicArn]: this.chatbotTopic.topicArn } : {}),
      },
    });
    this.notifier.addEventSource(new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: 2 }));
    this.channelsSecret.grantRead(this.notifier);
    this.allowPublish(this.notifier, [this.emailTopic, ...(this.chatbotTopic ? [this.chatbotTopic] : [])]);
  }

  /**
   * Let a function enqueue notifications. Written out instead of CDK's grantSendMessages, which adds
   * kms:ReEncrypt* and kms:GenerateDataKey* wildcards: SendMessage to an SSE-KMS queue needs only these two.
   */
  allowEnqueue(fn: MonitorFunction): void {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes'], resources: [this.queue.queueArn] }));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [this.key.keyArn] }));
  }

  /** Let a function publish to encrypted topics (the same two KMS actions, no wildcard). */
  allowPublish(fn: MonitorFunction, topics: sns.ITopic[]): void {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: topics.map((t) => t.topicArn) }));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [this.key.keyArn] }));
  }

  private chatbot(alerts: ResolvedAlerts): sns.Topic {
    const topic = new sns.Topic(this, 'ChatTopic', {
      displayName: 'Exchange key monitor: Amazon Q Developer chat notifications',
      enforceSSL: true,
      masterKey: this.key,
    });
    // The channel's guardrail (Amazon Q's default is AdministratorAccess): alarms and metrics, read only.
    const guardrail = iam.ManagedPolicy.fromAwsManagedPolicyName('CloudWatchReadOnlyAccess');
    if (alerts.slack) {
      new chatbot.SlackChannelConfiguration(this, 'Slack', {
        slackChannelConfigurationName: `${Stack.of(this).stackName}-alerts`.slice(0, 128),
        slackWorkspaceId: alerts.slack.workspaceId,
        slackChannelId: alerts.slack.channelId,
        notificationTopics: [topic],
        guardrailPolicies: [guardrail],
      });
    }
    if (alerts.teams) {
      const role = new iam.Role(this, 'TeamsRole', { assumedBy: new iam.ServicePrincipal('chatbot.amazonaws.com') });
      new chatbot.CfnMicrosoftTeamsChannelConfiguration(this, 'Teams', {
        configurationName: `${Stack.of(this).stackName}-alerts`.slice(0, 128),
        iamRoleArn: role.roleArn,
        teamId: alerts.teams.teamId,
        // As Teams' "copy link" shows it (19:…@thread.tacv2) or encoded: CloudFormation takes only the encoded form.
        teamsChannelId: alerts.teams.channelId.replace(/:/g, '%3a').replace(/@/g, '%40'),
        teamsTenantId: alerts.teams.tenantId,
        snsTopicArns: [topic.topicArn],
        guardrailPolicies: [guardrail.managedPolicyArn],
      });
    }
    return topic;
  }
}
