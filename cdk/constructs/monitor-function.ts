import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ENV, KEYS_FILE_NAME } from '../../lambdas/contract/env.js';
import { SERVICE_NAME } from '../../lambdas/contract/service.js';
import type { MonitoredKey } from '../../lambdas/monitor/runtime-config.js';

/** Where the function runs: in private subnets of a VPC, or outside any VPC (proxy egress). */
export interface FunctionPlacement {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
}

export interface MonitorFunctionProps {
  /** Path under lambdas/handlers, e.g. 'check.ts'. */
  readonly handlerFile: string;
  readonly description: string;
  readonly placement: FunctionPlacement | null;
  readonly timeout: Duration;
  readonly metricsNamespace: string;
  readonly environment: Record<string, string>;
  readonly reservedConcurrency?: number;
  readonly memorySize?: number;
  /** Bundled as a file next to the handler: configuration that grows with the keys stays out of the 4 KB environment. */
  readonly keys?: readonly MonitoredKey[];
}

/** Shared with the benchmark, so it measures the bundle Lambda runs. */
export const LAMBDA_EXTERNALS = ['@aws-sdk/*', '*/llhttp/llhttp-wasm.js'];

/**
 * The newest LTS runtime Lambda offers (Node.js 24: LTS since October 2025, supported into 2028);
 * the bundle targets it, so what `npm run bench` measures on Node 20 is a conservative bound.
 */
export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function keysFile(keys: readonly MonitoredKey[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'ekm-keys-'));
  const file = join(dir, KEYS_FILE_NAME);
  writeFileSync(file, JSON.stringify(keys));
  return file;
}

/**
 * The project's Lambda defaults in one place: Node 24 on arm64, ESM, minified, source maps, an
 * explicit log group, and a role of its own that may write only to that log group (no managed
 * policy granting logs on `*`).
 */
export class MonitorFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: MonitorFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description.slice(0, 900)} (execution role)`,
    });
    // The log group's ARN attribute already covers its streams (…:log-group:<name>:*).
    role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    const keysPath = props.keys ? keysFile(props.keys) : null;
    super(scope, id, {
      entry: `${ROOT}lambdas/handlers/${props.handlerFile}`,
      projectRoot: ROOT,
      depsLockFilePath: `${ROOT}package-lock.json`,
      handler: 'handler',
      description: props.description,
      runtime: LAMBDA_RUNTIME,
      architecture: Architecture.ARM_64,
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
        ...(keysPath ? { [ENV.keysFile]: KEYS_FILE_NAME } : {}),
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        // The Node.js runtime ships AWS SDK v3; bundling it again would only slow cold starts.
        // undici carries its HTTP parser twice (SIMD and plain WebAssembly, 70 KB each) and loads the
        // plain one only where SIMD is missing, which Node on arm64 never is.
        externalModules: LAMBDA_EXTERNALS,
        // CommonJS dependencies (undici) call require() on Node built-ins; ESM needs a shim for that.
        banner: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);",
        ...(keysPath
          ? { commandHooks: { beforeBundling: () => [], beforeInstall: () => [], afterBundling: (_in: string, out: string) => [`cp "${keysPath}" "${out}/${KEYS_FILE_NAME}"`] } }
          : {}),
      },
    });
    if (props.placement) {
      // Lambda attaches network interfaces in the subnets; these EC2 actions have no resource-level scoping.
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
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
