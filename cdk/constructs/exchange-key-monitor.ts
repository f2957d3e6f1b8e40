import { Aws, CfnOutput, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { OUTPUTS } from '../../src/contract/stack.js';
import { ComparisonOperator, MathExpression, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { checkMemoryMb, DEFAULT_SCHEDULE_MINUTES, DEFAULT_SPACED_PROBE_MINUTES, DEFAULT_TIMEOUT_MS, secretCacheTtlMs } from '../../src/contract/defaults.js';
import { DEFAULT_IP_ECHO_URL } from '../../src/contract/endpoints.js';
import { ENV } from '../../src/contract/env.js';
import { METRIC } from '../../src/contract/metrics.js';
import { DEFAULT_NAMESPACE } from '../../src/contract/service.js';
import { deliveryPk, STORE } from '../../src/contract/store.js';
import { defaultAnnouncementsUrl } from '../../src/monitor/maintenance.js';
import { securityFields, type MonitoredKey } from '../../src/monitor/runtime-config.js';
import { resolveExchangeBaseUrl } from '../config.js';
import { AlarmFactory } from './alarm-factory.js';
import { MonitorDashboard } from './dashboard.js';
import { EgressNetwork, MonitorEgress } from './egress-network.js';
import { MetricFactory } from './metric-factory.js';
import { MonitorFunction } from './monitor-function.js';
import { alarmText } from './monitor-alarms.js';
import { resolveAlerts, resolveIncidents, resolveKeys, type AlertsProps, type IncidentProps, type MonitoredKeyProps } from './monitor-props.js';
import { NotificationPath } from './notification-path.js';
import { grantOnSecrets, monitoredSecrets, rotationInvokeSources, type MonitoredSecret } from './secret-access.js';
import { checkProps } from './check-props.js';
import { grantCheckAccess, verifyFunction, type BotLogGroup } from './verify-function.js';
import { AckEndpoint } from './ack-endpoint.js';

export interface ExchangeKeyMonitorProps {
  /** The exchange API keys to watch: each one's name, its secret, and what it must be able to do. */
  readonly keys: MonitoredKeyProps[];
  /**
   * Where the checks leave from: `MonitorEgress.ownNat(…)`, `.existingVpc(vpc, …)` or `.proxy(url, …)`.
   * @default MonitorEgress.ownNat() - a VPC of the monitor's own with one NAT gateway and a new Elastic IP
   */
  readonly egress?: MonitorEgress;
  /**
   * Minutes between checks.
   * @default 5
   */
  readonly scheduleMinutes?: number;
  /**
   * Minutes between a healthy key's trade-permission probe and account read (each key at its own
   * slot in the period; every run while a key is failing, has an incident open or got an answer that
   * proved nothing). 0 sends them on every run, at about twice the CPU per key.
   * @default 180
   */
  readonly spacedProbeMinutes?: number;
  /**
   * Who hears about incidents.
   * @default - no email and no Amazon Q channel; webhook channels from the created channels secret once you fill it
   */
  readonly alerts?: AlertsProps;
  /**
   * The exchange: "production", "uat", or an https:// API root.
   * @default "production"
   */
  readonly exchangeBaseUrl?: string;
  /**
   * The IP echo the egress check asks which address the checks leave from.
   * @default "https://checkip.amazonaws.com"
   */
  readonly ipEchoUrl?: string;
  /**
   * Where exchange maintenance announcements are read.
   * @default - `public/get-announcements` under the exchange's API root
   */
  readonly announcementsUrl?: string;
  /**
   * The CloudWatch namespace of the monitor's metrics.
   * @default "ExchangeKeyMonitor"
   */
  readonly metricsNamespace?: string;
  /**
   * When incidents open, resolve and remind, and how long history is kept; fields left out keep their defaults.
   * @default DEFAULT_INCIDENTS
   */
  readonly incidents?: IncidentProps;
  /**
   * The bot's log groups and the key each uses: a log line with the exchange's authentication refusal
   * starts a verification of that key within seconds (a subscription filter per log group; CloudWatch
   * Logs allows two per log group).
   * @default - none: keys are verified by the schedule and by nudges only
   */
  readonly botLogGroups?: readonly BotLogGroup[];
}

/**
 * The whole monitor as one construct: drop it into the CDK app that deploys your bot (passing the
 * bot's VPC, so both leave from one NAT and one IP), or use the standalone stack that wraps it.
 * Nothing in it grows with the number of keys except a created secret per key that names none.
 */
export class ExchangeKeyMonitor extends Construct {
  readonly egressIps: readonly string[];
  readonly vpc: ec2.IVpc | null;
  readonly botSecurityGroup: ec2.ISecurityGroup | null;
  readonly secrets: readonly MonitoredSecret[];
  readonly table: dynamodb.Table;
  readonly notifications: NotificationPath;
  readonly checkFunction: MonitorFunction;
  readonly rotationFunction: MonitorFunction;
  /** The rule that runs the checks; `key-monitor verify` checks it is enabled. */
  readonly schedule: events.Rule;
  /** Where the checks leave from: `own-nat`, `existing-vpc` or `proxy` (verify names the fix for a wrong egress IP by it). */
  readonly egressMode: string;
  /** Minutes between scheduled runs. */
  readonly scheduleMinutes: number;
  /** Checks one key now: started by the bot's log lines (`botLogGroups`) or a nudge (`grantNudge`). */
  readonly verifyFunction: MonitorFunction;
  /** The Acknowledge link's endpoint (function URL) and the secret that signs links. */
  readonly ackEndpoint: AckEndpoint;
  readonly alarms: AlarmFactory;
  readonly dashboard: MonitorDashboard;
  readonly dashboardUrl: string;

  constructor(scope: Construct, id: string, props: ExchangeKeyMonitorProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const scheduleMinutes = props.scheduleMinutes ?? DEFAULT_SCHEDULE_MINUTES;
    this.scheduleMinutes = scheduleMinutes;
    const period = Duration.minutes(scheduleMinutes);
    const spacedProbeMinutes = props.spacedProbeMinutes ?? DEFAULT_SPACED_PROBE_MINUTES;
    if (!Number.isInteger(spacedProbeMinutes) || spacedProbeMinutes < 0 || spacedProbeMinutes > 1440)
      throw new Error(`spacedProbeMinutes: expected whole minutes from 0 (every run) to 1440, got ${spacedProbeMinutes}`);
    const incidents = resolveIncidents(props.incidents);
    const alerts = resolveAlerts(props.alerts);
    const keys = resolveKeys(props.keys);
    const namespace = props.metricsNamespace ?? DEFAULT_NAMESPACE;
    // The same rules as the context setting: `uat` resolves, http:// or a path to an endpoint fails synth, named.
    const baseUrl = resolveExchangeBaseUrl(props.exchangeBaseUrl);
    const tagValue = stack.stackName;
    const metrics = new MetricFactory(namespace, period);

    const egress = (props.egress ?? MonitorEgress.ownNat())._spec;
    this.egressMode = egress.kind;
    const checked = checkProps(this, { keys, egress });
    const network = new EgressNetwork(this, 'Network', egress);
    this.egressIps = network.egressIps;
    this.vpc = network.vpc;
    this.botSecurityGroup = network.botSecurityGroup;
    this.secrets = monitoredSecrets(this, keys, tagValue);

    this.table = new dynamodb.Table(this, 'IncidentStore', {
      partitionKey: { name: STORE.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: STORE.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: STORE.ttlAttribute,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.table).acknowledge({
      id: 'AwsSolutions::AwsSolutions-DDB3',
      reason: 'Incident state and history are rebuilt by the next runs; point-in-time recovery would cost more than the data is worth.',
    });

    this.dashboardUrl = `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards/dashboard/${stack.stackName}`;
    const common = { [ENV.monitorName]: stack.stackName, [ENV.dashboardUrl]: this.dashboardUrl, [ENV.stateTable]: this.table.tableName };
    this.notifications = new NotificationPath(this, 'Notifications', { alerts, metricsNamespace: namespace, environment: common });
    // The delivery ledger's claim (conditional put), verdict (put), lost-race read (get) and
    // release after a retryable failure (delete), on its own items only: the incident state and
    // history in the same table stay out of the notifier's reach.
    this.notifications.notifier.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
        resources: [this.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [deliveryPk('*')] } },
      }),
    );

    const monitoredKeys: MonitoredKey[] = this.secrets.map((s) => ({
      name: s.key.name,
      secretId: s.secretId,
      expectTrade: s.key.expectTrade,
      ...(s.key.expectWithdraw !== undefined ? { expectWithdraw: s.key.expectWithdraw } : {}),
      ...(s.key.expectDerivatives !== undefined ? { expectDerivatives: s.key.expectDerivatives } : {}),
      ...(s.key.expectMaster !== undefined ? { expectMaster: s.key.expectMaster } : {}),
      ...securityFields(s.key as unknown as Readonly<Record<string, unknown>>, s.key.name),
    }));
    const proxy = egress.kind === 'proxy' ? egress : null;
    const runtime = {
      ...common,
      [ENV.baseUrl]: baseUrl,
      [ENV.ipEchoUrl]: props.ipEchoUrl ?? DEFAULT_IP_ECHO_URL,
      [ENV.expectedIp]: network.egressIps.join(','),
      [ENV.timeoutMs]: String(DEFAULT_TIMEOUT_MS),
      [ENV.secretCacheTtlMs]: String(secretCacheTtlMs(scheduleMinutes)),
      [ENV.spacedProbeMinutes]: String(spacedProbeMinutes),
      [ENV.notificationQueueUrl]: this.notifications.queue.queueUrl,
      ...(checked.proxyUrl ? { [ENV.proxyUrl]: checked.proxyUrl } : {}),
      ...(proxy?.tokenSecret ? { [ENV.proxyTokenSecretId]: proxy.tokenSecret.secretArn } : {}),
    };

    const incidentEnv = {
      [ENV.openAfterRuns]: String(incidents.openAfterRuns),
      [ENV.resolveAfterRuns]: String(incidents.resolveAfterRuns),
      [ENV.remindEveryHours]: String(incidents.remindEveryHours),
      [ENV.acknowledgedRemindEveryHours]: String(incidents.acknowledgedRemindEveryHours),
      [ENV.historyDays]: String(incidents.historyDays),
      [ENV.keyMaxAgeDays]: String(incidents.keyMaxAgeDays),
    };
    this.checkFunction = new MonitorFunction(this, 'CheckFunction', {
      bundle: 'check',
      description: 'Checks each exchange API key: signed read, Trade permission probe, egress IP, clock skew; opens and resolves incidents',
      placement: network.placement,
      timeout: Duration.seconds(Math.min(120, scheduleMinutes * 60 - 10)),
      memorySize: checkMemoryMb(keys.length),
      metricsNamespace: namespace,
      environment: {
        ...runtime,
        ...incidentEnv,
        [ENV.checkLogGroup]: '',
        [ENV.announcementsUrl]: props.announcementsUrl ?? defaultAnnouncementsUrl(baseUrl),
      },
      keys: monitoredKeys,
      // One run at a time; a second concurrent run would only double the exchange calls.
      reservedConcurrency: 1,
    });
    this.checkFunction.addEnvironment(ENV.checkLogGroup, this.checkFunction.logGroup.logGroupName);
    grantCheckAccess(this.checkFunction, {
      secrets: this.secrets,
      tagValue,
      proxyTokenSecret: proxy?.tokenSecret ?? null,
      table: this.table,
      notifications: this.notifications,
    });
    // EventBridge invokes asynchronously: Lambda's own async retries would run a stale check later.
    this.checkFunction.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.seconds(60) });
    this.schedule = new events.Rule(this, 'Schedule', {
      description: `Runs the exchange key check every ${scheduleMinutes} minute(s)`,
      schedule: events.Schedule.rate(period),
      targets: [new targets.LambdaFunction(this.checkFunction, { retryAttempts: 0, maxEventAge: Duration.seconds(60) })],
    });

    this.verifyFunction = verifyFunction(this, {
      placement: network.placement,
      metricsNamespace: namespace,
      // Alerts from a verification link to the check function's log, where the scheduled runs write.
      environment: { ...runtime, ...incidentEnv, [ENV.checkLogGroup]: this.checkFunction.logGroup.logGroupName },
      keys: monitoredKeys,
      secrets: this.secrets,
      tagValue,
      proxyTokenSecret: proxy?.tokenSecret ?? null,
      table: this.table,
      notifications: this.notifications,
      botLogGroups: props.botLogGroups ?? [],
    });

    this.ackEndpoint = new AckEndpoint(this, 'Ack', {
      metricsNamespace: namespace,
      environment: { ...common, [ENV.notificationQueueUrl]: this.notifications.queue.queueUrl, [ENV.historyDays]: String(incidents.historyDays) },
      table: this.table,
      notifications: this.notifications,
    });
    this.ackEndpoint.allowSigning(this.checkFunction);
    this.ackEndpoint.allowSigning(this.verifyFunction);

    this.rotationFunction = this.rotation(runtime, monitoredKeys, network, namespace, tagValue, proxy?.tokenSecret ?? null);
    this.alarms = new AlarmFactory(this, 'Alarms', { topic: this.notifications.alarmTopic, prefix: stack.stackName });
    this.monitorTheMonitor(metrics, period);
    this.dashboard = new MonitorDashboard(this, 'Dashboard', {
      dashboardName: stack.stackName,
      namespace,
      period,
      metrics,
      egressIps: network.egressIps,
      alarms: this.alarms.alarms,
      checkLogGroup: this.checkFunction.logGroup,
      deadLetterDepth: this.notifications.deadLetters.metricApproximateNumberOfMessagesVisible({ label: 'dead letters' }),
    });
  }

  /**
   * The stack outputs the `key-monitor` commands find a deployed monitor by (`verify`, `status`,
   * `mute`, `test-alert`, `nudge`, `rotate`, each with `--stack <this stack>`). The standalone stack
   * adds them; in an app of your own, call this once (one monitor per stack).
   */
  addOutputs(): void {
    const stack = Stack.of(this);
    const n = this.notifications;
    const out = (id: string, value: string, description: string) => new CfnOutput(stack, id, { value, description });
    out(
      OUTPUTS.nextStep,
      `npx key-monitor verify --stack ${stack.stackName}`,
      'Run this now: it checks every key, the egress IP, every channel and the wiring, and names the fix',
    );
    out(OUTPUTS.egressIps, Fn.join(',', [...this.egressIps]), 'Whitelist this IP (or these IPs) on every monitored exchange API key');
    out(OUTPUTS.alertTopicArn, n.emailTopic.topicArn, 'Alert email topic (subscribe more addresses here)');
    out(OUTPUTS.notificationQueueUrl, n.queue.queueUrl, 'Every notification goes through this queue');
    out(OUTPUTS.deadLetterQueueArn, n.deadLetters.queueArn, 'Notifications that could not be delivered');
    out(OUTPUTS.stateTableName, this.table.tableName, 'Incident state and history');
    out(OUTPUTS.channelsSecretName, n.channelsSecret.secretName, 'Slack/Teams/Discord/Telegram/webhook channel settings (README → Channels)');
    if (n.chatbotTopic) out(OUTPUTS.chatbotTopicArn, n.chatbotTopic.topicArn, 'Amazon Q Developer (Slack/Teams) notifications');
    out(OUTPUTS.checkFunctionName, this.checkFunction.functionName, 'Invoke it to run a check now');
    out(OUTPUTS.verifyFunctionName, this.verifyFunction.functionName, 'key-monitor nudge --key NAME (or a bot’s error handler) verifies a key now');
    out(OUTPUTS.rotationFunctionArn, this.rotationFunction.functionArn, 'key-monitor rotate --rotation-function <this> (first rotation of a secret)');
    out(OUTPUTS.dashboardUrl, this.dashboardUrl, 'CloudWatch dashboard');
    out(OUTPUTS.ackUrl, this.ackEndpoint.url.url, 'Acknowledge links in alerts open this (a confirmation page; only its POST acknowledges)');
    out(OUTPUTS.scheduleRuleName, this.schedule.ruleName, 'The schedule that runs the checks (key-monitor verify checks it is enabled)');
    out(OUTPUTS.egressMode, this.egressMode, 'own-nat, existing-vpc or proxy: where the checks leave from');
    out(OUTPUTS.scheduleMinutes, String(this.scheduleMinutes), 'Minutes between checks (key-monitor status calls a key stale after three missed runs)');
    if (this.vpc && this.botSecurityGroup) {
      out(OUTPUTS.vpcId, this.vpc.vpcId, 'For a bot that should leave from the same IP: deploy it in this VPC');
      out(
        OUTPUTS.privateSubnetIds,
        Fn.join(
          ',',
          this.vpc.privateSubnets.map((s) => s.subnetId),
        ),
        'Private subnets whose traffic leaves through the whitelisted NAT',
      );
      out(OUTPUTS.botSecurityGroupId, this.botSecurityGroup.securityGroupId, 'Security group for a bot in this VPC: HTTPS out, nothing in');
    }
  }

  /**
   * Let a bot (its task role, an instance role, a user for a bot off AWS) ask for an immediate
   * verification of a key: `key-monitor nudge`, or an SDK invoke of verifyFunction with
   * `{"key":"<name>"}`. Only this function, nothing else.
   */
  grantNudge(grantee: iam.IGrantable): iam.Grant {
    return this.verifyFunction.grantInvoke(grantee);
  }

  /**
   * Stage → validate from the fixed egress → promote. Attached to a secret on demand (`key-monitor
   * rotate` passes this function), so no per-secret resource: it scales to any number of keys.
   */
  private rotation(
    runtime: Record<string, string>,
    keys: MonitoredKey[],
    network: EgressNetwork,
    namespace: string,
    tagValue: string,
    proxyTokenSecret: secretsmanager.ISecret | null,
  ): MonitorFunction {
    const fn = new MonitorFunction(this, 'RotationFunction', {
      bundle: 'rotate',
      description: 'Secrets Manager rotation: validates a staged exchange key from the fixed egress IP before promoting it',
      placement: network.placement,
      timeout: Duration.seconds(60),
      metricsNamespace: namespace,
      environment: runtime,
      keys,
    });
    grantOnSecrets(
      fn.role as iam.IRole,
      this.secrets,
      [
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'secretsmanager:ListSecretVersionIds',
        'secretsmanager:PutSecretValue',
        'secretsmanager:UpdateSecretVersionStage',
        'secretsmanager:TagResource',
      ],
      tagValue,
    );
    proxyTokenSecret?.grantRead(fn);
    this.notifications.allowEnqueue(fn);
    // Secrets Manager of this account only may invoke it, and only for the monitored secrets (no
    // confused deputy: another secret's rotation cannot borrow this function's egress IP and role).
    rotationInvokeSources(this.secrets).forEach((sourceArn, i) =>
      fn.addPermission(i === 0 ? 'SecretsManagerInvoke' : `SecretsManagerInvoke${i}`, {
        principal: new iam.ServicePrincipal('secretsmanager.amazonaws.com'),
        sourceAccount: Stack.of(this).account,
        sourceArn,
      }),
    );
    return fn;
  }

  /** Only what must fire when our own code does not run: a fixed set, whatever the number of keys. */
  private monitorTheMonitor(metrics: MetricFactory, period: Duration): void {
    const n = this.notifications;
    this.alarms.create(this, 'HeartbeatAlarm', 'HEARTBEAT', {
      metric: metrics.metric(METRIC.keysChecked, 'SampleCount'),
      threshold: 1,
      comparison: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: TreatMissingData.BREACHING,
      description: alarmText('HEARTBEAT'),
    });
    this.alarms.create(this, 'CheckErrorsAlarm', 'CHECK_FUNCTION_ERRORS', {
      metric: this.checkFunction.metricErrors({ period, statistic: 'Sum' }),
      description: alarmText('CHECK_FUNCTION_ERRORS'),
    });
    this.alarms.create(this, 'DeadLettersAlarm', 'NOTIFICATIONS_UNDELIVERED', {
      metric: n.deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      description: alarmText('NOTIFICATIONS_UNDELIVERED'),
    });
    this.alarms.create(this, 'DeliveriesFailedAlarm', 'DELIVERIES_FAILED', {
      metric: metrics.metric(METRIC.deliveriesFailed, 'Sum', { period: Duration.minutes(5) }),
      // Straight to email as well: the refusing channel may be the one the notifier reaches people by.
      // No OK: the count falls to zero when nothing is sent, not when the channel is fixed, and an OK
      // sent through the notifier would be refused by that channel again and re-arm the alarm.
      topics: [n.emailTopic, n.alarmTopic],
      okAction: false,
      description: alarmText('DELIVERIES_FAILED'),
    });
    this.alarms.create(this, 'NotifierErrorsAlarm', 'NOTIFIER_ERRORS', {
      metric: n.notifier.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      // Straight to email: this fires exactly when the notifier cannot deliver through itself.
      topics: [n.emailTopic],
      description: alarmText('NOTIFIER_ERRORS'),
    });
    const refused = metrics.metric(METRIC.rotationsRefused, 'Sum', { period: Duration.minutes(5) });
    this.alarms.create(this, 'RotationFailedAlarm', 'ROTATION_FAILED', {
      metric: new MathExpression({
        expression: 'errors - FILL(refused, 0)',
        usingMetrics: { errors: this.rotationFunction.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), refused },
        period: Duration.minutes(5),
        label: 'rotation steps that failed for a reason other than a refused key',
      }),
      description: alarmText('ROTATION_FAILED'),
    });
  }
}
