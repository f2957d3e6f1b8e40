import { Aws, CfnRule, Fn, Stack, Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { secretArnRegion } from '../../src/contract/aws-names.js';
import { checkEgressIp, checkSecretRegions, type KeyConfig } from '../config.js';
import type { EgressSpec } from './egress-network.js';

export interface CheckedProps {
  /** The proxy URL as the Lambdas get it (host and port only), or null without proxy egress. */
  readonly proxyUrl: string | null;
}

/**
 * The construct's props, held to the rules the context settings are held to (a construct user
 * never passes through cdk/config.ts), failing synth with a ConfigError naming the prop.
 */
export function checkProps(scope: Construct, props: { readonly keys: readonly Pick<KeyConfig, 'secretArn'>[]; readonly egress: EgressSpec }): CheckedProps {
  const { egress } = props;
  const given = (ip: string) => !Token.isUnresolved(ip);
  if (egress.kind === 'existing-vpc' || egress.kind === 'proxy') egress.egressIps.filter(given).forEach((ip) => checkEgressIp(ip, 'egress.egressIps'));
  if (egress.kind === 'own-nat' && egress.eip && given(egress.eip.publicIp)) checkEgressIp(egress.eip.publicIp, 'egress.eip.publicIp');
  secretsInStackRegion(scope, props.keys);
  return { proxyUrl: egress.kind === 'proxy' ? egress.proxyUrl : null };
}

/**
 * A secret in another region can be neither read nor rotated by the Lambdas. With the stack's
 * region known that fails synth; an environment-agnostic stack (the standalone app) cannot know
 * it before deploy, so the template carries a CloudFormation rule that stops the deploy, before
 * anything is created, in any region other than the secrets'.
 */
function secretsInStackRegion(scope: Construct, keys: readonly Pick<KeyConfig, 'secretArn'>[]): void {
  const stackRegion = Stack.of(scope).region;
  const known = !Token.isUnresolved(stackRegion);
  checkSecretRegions(keys, known ? stackRegion : null);
  const region = keys.map((k) => (k.secretArn ? secretArnRegion(k.secretArn) : null)).find((r) => r !== null);
  if (known || !region) return;
  new CfnRule(scope, 'SecretsInStackRegion', {
    assertions: [
      {
        assert: Fn.conditionEquals(Aws.REGION, region),
        assertDescription: `exchange-key-monitor: the monitored secrets (keys[].secretArn) are in ${region}; deploy this stack in ${region}, its Lambdas read secrets of their own region only`,
      },
    ],
  });
}
