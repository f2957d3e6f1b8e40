import { Aws, CfnOutput, Duration, SecretValue, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { DIMENSION, METRIC } from '../lambdas/contract/metrics.js';
import { SERVICE_NAME } from '../lambdas/contract/service.js';
import { ENV, type MonitoredKey } from '../lambdas/monitor/runtime-config.js';
import type { KeyConfig, MonitorConfig } from './config.js';
import { AlarmFactory } from './constructs/alarm-factory.js';
import { MonitorDashboard } from './constructs/dashboard.js';
import { EgressNetwork } from './constructs/egress-network.js';
import { KeyAlarms } from './constructs/key-alarms.js';
import { MonitorFunction } from './constructs/monitor-function.js';

export interface MonitorStackProps extends StackProps {
  readonly config: MonitorConfig;
}

export interface MonitoredSecret {
  readonly key: KeyConfig;
  readonly secret: secretsmanager.ISecret;
  /** What the Lambdas pass to GetSecretValue. */
  readonly secretId: string;
  /** The exact resource for IAM: a full ARN, or name + the 6-character suffix Secrets Manager adds. */
  readonly policyArn: string;
}

export const CREATED_SECRET_PREFIX = 'exchange-key-monitor/';

export class MonitorStack extends Stack {
  readonly network: EgressNetwork;
  readonly topic: sns.Topic;
  readonly secrets: MonitoredSecret[];
  readonly checkFunction: MonitorFunction;
  readonly alarmFactory: AlarmFactory;
  readonly rotationFunction: MonitorFunction | undefined;

  constructor(scope: Construct, id: string, props: MonitorStackProps) {
    super(scope, id, props);
    const { config } = props;
    const period = Duration.minutes(config.scheduleMinutes);

    this.network = new EgressNetwork(this, 'Network', { natMode: config.natMode, maxAzs: config.maxAzs, eip: config.eip });
    const egressIp = this.network.egressIp;

    this.topic = new sns.Topic(this, 'Alerts', { displayName: 'Exchange key monitor', enforceSSL: true });
    for (const email of config.alertEmails) this.topic.addSubscription(new subscriptions.EmailSubscription(email));

    this.secrets = config.keys.map((key) => this.monitoredSecret(key));
    const monitoredKeys: MonitoredKey[] = this.secrets.map((s) => ({ name: s.key.name, secretId: s.secretId, expectTrade: s.key.expectTrade }));
    const runtimeEnv = {
      [ENV.keys]: JSON.stringify(monitoredKeys),
      [ENV.baseUrl]: config.exchangeBaseUrl,
      [ENV.ipEchoUrl]: config.ipEchoUrl,
      [ENV.expectedIp]: egressIp,
      [ENV.timeoutMs]: '5000',
      // Well below the schedule, so a rotated secret is used by the very next run.
      [ENV.secretCacheTtlMs]: String(Math.min(60_000, period.toMilliseconds() / 2)),
    };

    this.checkFunction = new MonitorFunction(this, 'CheckFunction', {
      handlerFile: 'check.ts',
      description: 'Checks each exchange API key: signed read, Trade permission probe, egress IP, clock skew',
      vpc: this.network.vpc,
      securityGroup: this.network.functionSecurityGroup,
      timeout: Duration.seconds(Math.min(60, config.scheduleMinutes * 60 - 10)),
      metricsNamespace: config.metricsNamespace,
      environment: runtimeEnv,
      // One run at a time; a second concurrent run would only double the exchange calls.
      reservedConcurrency: 1,
    });
    this.checkFunction.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: this.secrets.map((s) => s.policyArn) }),
    );
    // EventBridge invokes asynchronously: Lambda's own async retries would run a stale check later.
    this.checkFunction.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.seconds(60) });
    new events.Rule(this, 'Schedule', {
      description: `Runs the exchange key check every ${config.scheduleMinutes} minute(s)`,
      schedule: events.Schedule.rate(period),
      targets: [new targets.LambdaFunction(this.checkFunction, { retryAttempts: 0, maxEventAge: Duration.seconds(60) })],
    });

    this.rotationFunction = this.rotation(config, runtimeEnv);

    this.alarmFactory = new AlarmFactory(this, 'AlarmFactory', { topic: this.topic, prefix: this.stackName, muted: config.muteAlarms });
    config.keys.forEach(
      (key) =>
        new KeyAlarms(this, `Key-${key.name}`, {
          keyName: key.name,
          namespace: config.metricsNamespace,
          period,
          egressIp,
          keyMaxAgeDays: config.keyMaxAgeDays,
          factory: this.alarmFactory,
        }),
    );
    this.monitorTheMonitor(config, period);

    new MonitorDashboard(this, 'Dashboard', {
      dashboardName: `${this.stackName}`,
      namespace: config.metricsNamespace,
      keyNames: config.keys.map((k) => k.name),
      period,
      egressIp,
      alarms: this.alarmFactory.alarms,
    });

    new CfnOutput(this, 'EgressIp', { value: egressIp, description: 'Whitelist this IP on every monitored exchange API key' });
    new CfnOutput(this, 'AlertTopicArn', { value: this.topic.topicArn });
    new CfnOutput(this, 'CheckFunctionName', { value: this.checkFunction.functionName });
    new CfnOutput(this, 'DashboardUrl', { value: `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards/dashboard/${this.stackName}` });
    this.secrets.forEach((s) => new CfnOutput(this, `Secret${s.key.name.replace(/[^A-Za-z0-9]/g, '')}`, { value: s.secretId, description: `Secret holding key "${s.key.name}"` }));
  }

  private monitoredSecret(key: KeyConfig): MonitoredSecret {
    if (key.secretArn) {
      return { key, secret: secretsmanager.Secret.fromSecretCompleteArn(this, `${key.name}Secret`, key.secretArn), secretId: key.secretArn, policyArn: key.secretArn };
    }
    if (key.secretName) {
      return {
        key,
        secret: secretsmanager.Secret.fromSecretNameV2(this, `${key.name}Secret`, key.secretName),
        secretId: key.secretName,
        policyArn: `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${key.secretName}-??????`,
      };
    }
    const secret = new secretsmanager.Secret(this, `${key.name}Secret`, {
      secretName: `${CREATED_SECRET_PREFIX}${key.name}`,
      description: `Crypto.com Exchange API key "${key.name}": {"apiKey":"…","apiSecret":"…"} (fill with put-secret-value)`,
      // Empty placeholders: the monitor reports CREDENTIALS_MISSING until the operator fills them in.
      secretObjectValue: { apiKey: SecretValue.unsafePlainText(''), apiSecret: SecretValue.unsafePlainText('') },
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason: key.rotation
        ? 'Rotation is attached but on demand: exchange keys cannot be created by API, so a schedule could only fail. ' +
          'The KeyAge alarm tells operators when to stage a new key and rotate.'
        : 'Rotation disabled for this key by configuration (rotation: false); the KeyAge alarm still reminds operators.',
    });
    return { key, secret, secretId: secret.secretArn, policyArn: secret.secretArn };
  }

  /**
   * Stage → validate → promote. On demand only (no rotation rules): exchange keys cannot be minted
   * by API, so a scheduled rotation would only fail; the key-age alarm is the reminder instead.
   */
  private rotation(config: MonitorConfig, runtimeEnv: Record<string, string>): MonitorFunction | undefined {
    const rotating = this.secrets.filter((s) => s.key.rotation);
    if (rotating.length === 0) return undefined;
    const fn = new MonitorFunction(this, 'RotationFunction', {
      handlerFile: 'rotate.ts',
      description: 'Secrets Manager rotation: validates a staged exchange key from the fixed egress IP before promoting it',
      vpc: this.network.vpc,
      securityGroup: this.network.functionSecurityGroup,
      timeout: Duration.seconds(60),
      metricsNamespace: config.metricsNamespace,
      environment: { ...runtimeEnv, [ENV.alertTopicArn]: this.topic.topicArn },
    });
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:ListSecretVersionIds',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage',
        ],
        resources: rotating.map((s) => s.policyArn),
      }),
    );
    this.topic.grantPublish(fn);
    const invoke = fn.grantInvoke(new iam.ServicePrincipal('secretsmanager.amazonaws.com'));
    for (const s of rotating) {
      const schedule = new secretsmanager.CfnRotationSchedule(this, `${s.key.name}Rotation`, {
        secretId: s.secret.secretArn,
        rotationLambdaArn: fn.functionArn,
        // Deploying must never start a rotation: there is nothing staged yet.
        rotateImmediatelyOnUpdate: false,
      });
      invoke.applyBefore(schedule);
    }
    new CfnOutput(this, 'RotationFunctionName', { value: fn.functionName });
    return fn;
  }

  /** A monitor that silently stops is worse than none: alarm on missing runs and on crashes. */
  private monitorTheMonitor(config: MonitorConfig, period: Duration): void {
    const heartbeat = new Metric({
      namespace: config.metricsNamespace,
      metricName: METRIC.keysChecked,
      dimensionsMap: { [DIMENSION.service]: SERVICE_NAME },
      statistic: 'SampleCount',
      period,
    });
    this.alarmFactory.create(this, 'HeartbeatAlarm', 'HEARTBEAT', {
      metric: heartbeat,
      threshold: 1,
      comparison: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: TreatMissingData.BREACHING,
      description:
        'The exchange key monitor has not completed a run in two of the last three schedule periods, so key faults ' +
        'would go unnoticed. Check the CheckFunction log group for errors or timeouts, the EventBridge rule is enabled, ' +
        'and that the function is not throttled.',
    });
    if (this.rotationFunction) {
      this.alarmFactory.create(this, 'RotationErrorsAlarm', 'ROTATION_REFUSED_OR_FAILED', {
        metric: this.rotationFunction.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        description:
          'A key rotation step failed: most often a staged key was refused (the alert topic received the diagnosis and ' +
          'fix) or nothing was staged. The current key is untouched. See README → Rotate a key.',
      });
    }
    this.alarmFactory.create(this, 'CheckErrorsAlarm', 'CHECK_FUNCTION_ERRORS', {
      metric: this.checkFunction.metricErrors({ period, statistic: 'Sum' }),
      description:
        'The exchange key check Lambda failed (error or timeout) instead of reporting a diagnosis. Its log group has ' +
        'the error; a configuration error names the field (MONITORED_KEYS, EXCHANGE_BASE_URL…). Redeploy after fixing.',
    });
  }
}
