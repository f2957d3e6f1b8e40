import { RemovalPolicy, Validations, type Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ENV, KEYS_FILE_NAME } from '../../src/contract/env.js';
import { SERVICE_NAME } from '../../src/contract/service.js';
import type { MonitoredKey } from '../../src/monitor/runtime-config.js';
import { lambdaCode, type LambdaBundleName } from './lambda-code.js';

/** Where the function runs: in private subnets of a VPC, or outside any VPC (proxy egress). */
export interface FunctionPlacement {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
}

export interface MonitorFunctionProps {
  /** Which prebuilt handler bundle runs (dist/lambda/<bundle>). */
  readonly bundle: LambdaBundleName;
  readonly description: string;
  readonly placement: FunctionPlacement | null;
  readonly timeout: Duration;
  readonly metricsNamespace: string;
  readonly environment: Record<string, string>;
  readonly reservedConcurrency?: number;
  readonly memorySize?: number;
  /** Shipped as a file next to the handler: configuration that grows with the keys stays out of the 4 KB environment. */
  readonly keys?: readonly MonitoredKey[];
}

/**
 * The newest LTS runtime Lambda offers (Node.js 24: LTS since October 2025, supported into 2028);
 * scripts/build.mjs targets it when it bundles the handlers, so what `npm run bench` measures on
 * Node 20 is a conservative bound.
 */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * The project's Lambda defaults in one place: Node 24 on arm64, the prebuilt ESM bundle with its
 * source map, an explicit log group, and a role of its own that may write only to that log group
 * (no managed policy granting logs on `*`).
 */
export class MonitorFunction extends lambda.Function {
  constructor(scope: Construct, id: string, props: MonitorFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description.slice(0, 900)} (execution role)`,
    });
    // The log group's ARN attribute already covers its streams (…:log-group:<name>:*).
    role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    super(scope, id, {
      code: lambdaCode(props.bundle, props.keys),
      handler: 'index.handler',
      description: props.description,
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrency,
      role,
      logGroup,
      ...(props.placement ? { vpc: props.placement.vpc, vpcSubnets: props.placement.subnets, securityGroups: [props.placement.securityGroup] } : {}),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace,
        ...(props.keys ? { [ENV.keysFile]: KEYS_FILE_NAME } : {}),
        ...props.environment,
      },
    });
    if (props.placement) {
      // Lambda attaches network interfaces in the subnets; these EC2 actions have no resource-level scoping.
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
      );
      Validations.of(role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: 'Lambda’s VPC network-interface actions support no resource-level permissions; this is AWS’s documented minimum for a function in a VPC.',
      });
    }
  }
}
