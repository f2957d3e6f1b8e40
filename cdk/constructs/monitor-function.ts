import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import { SubnetType } from 'aws-cdk-lib/aws-ec2';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { SERVICE_NAME } from '../../lambdas/contract/service.js';

export interface MonitorFunctionProps {
  /** Path under lambdas/handlers, e.g. 'check.ts'. */
  readonly handlerFile: string;
  readonly description: string;
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly timeout: Duration;
  readonly metricsNamespace: string;
  readonly environment: Record<string, string>;
  readonly reservedConcurrency?: number;
}

/** Shared with the benchmark, so it measures the bundle Lambda runs. */
export const LAMBDA_EXTERNALS = ['@aws-sdk/*', '*/llhttp/llhttp-wasm.js'];

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The project's Lambda defaults in one place: Node 22 on arm64, ESM, minified, private subnets. */
export class MonitorFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: MonitorFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      entry: `${ROOT}lambdas/handlers/${props.handlerFile}`,
      projectRoot: ROOT,
      depsLockFilePath: `${ROOT}package-lock.json`,
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrency,
      logGroup,
      vpc: props.vpc,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [props.securityGroup],
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace,
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        // The Node.js 22 runtime ships AWS SDK v3; bundling it again would only slow cold starts.
        // undici carries its HTTP parser twice (SIMD and plain WebAssembly, 70 KB each) and loads the
        // plain one only where SIMD is missing, which Node 22 on arm64 never is.
        externalModules: LAMBDA_EXTERNALS,
        // CommonJS dependencies (undici) call require() on Node built-ins; ESM needs a shim for that.
        banner: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);",
      },
    });
    const role = this.role?.node.defaultChild;
    if (role) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'Writes only to this function’s own log group; the managed policy is the documented minimum for Lambda logging.',
      });
      Validations.of(role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason: 'ENI management in the private subnets; Lambda needs these EC2 actions on * to attach to a VPC.',
      });
    }
    Validations.of(this).acknowledge({
      id: 'AwsSolutions::AwsSolutions-L1',
      reason: 'Node.js 22 is the runtime this project targets and tests; moving runtimes is a deliberate change, not an automatic one.',
    });
  }
}
