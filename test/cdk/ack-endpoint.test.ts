import { describe, expect, it } from 'vitest';
import { OUTPUTS } from '../../src/contract/stack.js';
import { synth } from '../support/synth.js';

type Res = { Properties: Record<string, unknown> };
const fnOf = (t: ReturnType<typeof synth>['template'], prefix: string) => {
  const found = Object.entries(t.findResources('AWS::Lambda::Function')).find(([, r]) => String((r as Res).Properties['Description']).startsWith(prefix));
  if (!found) throw new Error(`no function ${prefix}`);
  return { id: found[0], props: (found[1] as Res).Properties };
};
const envOf = (f: { props: Record<string, unknown> }) => (f.props['Environment'] as { Variables: Record<string, unknown> }).Variables;
const policiesOf = (t: ReturnType<typeof synth>['template'], roleId: string) =>
  Object.values(t.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify((p as Res).Properties['Roles']).includes(roleId))
    .flatMap((p) => ((p as Res).Properties['PolicyDocument'] as { Statement: Record<string, unknown>[] }).Statement);

describe('the Acknowledge endpoint in the template (cdk-nag clean: synth throws on an unacknowledged finding)', () => {
  const { template } = synth({ alertEmail: 'ops@example.com', keys: JSON.stringify([{ name: 'trading', secretName: 'prod/cdc-trading' }]) });
  const ack = fnOf(template, 'Acknowledge links in alerts');

  it('is a function URL with no AWS auth (the function checks every link), with small reserved concurrency, outside the VPC', () => {
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE', TargetFunctionArn: { 'Fn::GetAtt': [ack.id, 'Arn'] } });
    expect(ack.props['ReservedConcurrentExecutions']).toBe(2);
    expect(ack.props['VpcConfig']).toBeUndefined();
    const urlId = Object.keys(template.findResources('AWS::Lambda::Url'))[0] as string;
    expect(template.toJSON().Outputs[OUTPUTS.ackUrl].Value).toEqual({ 'Fn::GetAtt': [urlId, 'FunctionUrl'] });
  });

  it('may read its secret, write state items only (not the delivery ledger) and enqueue; nothing else', () => {
    const roleId = (ack.props['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const statements = policiesOf(template, roleId);
    const actions = statements.flatMap((s) => [s['Action']].flat() as string[]).sort();
    expect(actions).toEqual(
      [
        'dynamodb:BatchGetItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        // The queue is encrypted with the stack's key: enqueueing needs it.
        'kms:Decrypt',
        'kms:GenerateDataKey',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'sqs:GetQueueAttributes',
        'sqs:SendMessage',
      ].sort(),
    );
    const dynamo = statements.find((s) => [s['Action']].flat().includes('dynamodb:PutItem'));
    expect(dynamo?.['Condition']).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['KEY#*', 'MONITOR'] } });
    expect(JSON.stringify(statements)).not.toContain('"*"');
  });

  it('the check and verify functions sign links: the endpoint’s URL and the generated secret reach their environment', () => {
    const secretId = Object.keys(template.findResources('AWS::SecretsManager::Secret', { Properties: { GenerateSecretString: { PasswordLength: 64 } } }))[0];
    expect(secretId).toBeDefined();
    for (const prefix of ['Checks each exchange API key', 'Verifies one exchange API key now']) {
      const env = envOf(fnOf(template, prefix));
      expect(env['ACK_URL'], prefix).toEqual({ 'Fn::GetAtt': [expect.any(String), 'FunctionUrl'] });
      expect(env['ACK_SECRET_ID'], prefix).toEqual({ Ref: secretId });
    }
    expect(envOf(ack)['ACK_SECRET_ID']).toEqual({ Ref: secretId });
  });

  it('acknowledgedRemindEveryHours (context) reaches the check and verify functions; 0 by default', () => {
    expect(envOf(fnOf(template, 'Checks each exchange API key'))['ACKNOWLEDGED_REMIND_EVERY_HOURS']).toBe('0');
    const { template: slowed } = synth({
      alertEmail: 'ops@example.com',
      keys: JSON.stringify([{ name: 'trading', secretName: 'prod/cdc-trading' }]),
      acknowledgedRemindEveryHours: 12,
    });
    for (const prefix of ['Checks each exchange API key', 'Verifies one exchange API key now'])
      expect(envOf(fnOf(slowed, prefix))['ACKNOWLEDGED_REMIND_EVERY_HOURS'], prefix).toBe('12');
  });
});
