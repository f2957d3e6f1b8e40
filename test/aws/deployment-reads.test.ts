import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { awsDeploymentReads, FunctionAnswerError } from '../../src/aws/deployment-reads.js';

const lambda = mockClient(LambdaClient);
const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } });

describe('the deployment check invoke', () => {
  afterEach(() => lambda.reset());

  it('asks for a deployment check and waits out a scheduled run that holds the one reserved slot', async () => {
    lambda
      .on(InvokeCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .resolves({ StatusCode: 200, Payload: new TextEncoder().encode('{"checked":1,"keys":[]}') as never });
    const slept: number[] = [];
    const reads = awsDeploymentReads(1_000, async (ms) => {
      slept.push(ms);
    });
    await expect(reads.invokeCheck('Stack-Check')).resolves.toEqual({ checked: 1, keys: [] });
    expect(slept).toEqual([2_000, 4_000]);
    const input = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(JSON.parse(new TextDecoder().decode(input?.Payload as Uint8Array))).toEqual({ deploymentCheck: true });
    expect(input?.InvocationType).toBe('RequestResponse');
  });

  it('gives up after about a minute of throttling, and names a function error without quoting it', async () => {
    lambda.on(InvokeCommand).rejects(throttled());
    let waited = 0;
    const reads = awsDeploymentReads(1_000, async (ms) => {
      waited += ms;
      await new Promise((r) => setTimeout(r, 0));
    });
    // The clock the invoke judges by is real: jump it forward as the sleeps add up.
    const realNow = Date.now;
    Date.now = () => realNow() + waited;
    try {
      await expect(reads.invokeCheck('Stack-Check')).rejects.toMatchObject({ name: 'TooManyRequestsException' });
      expect(waited).toBeLessThanOrEqual(60_000);
    } finally {
      Date.now = realNow;
    }
    lambda.reset();
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: new TextEncoder().encode('{"errorMessage":"key sbxAbCdEf"}') as never });
    const err = await awsDeploymentReads(1_000)
      .invokeCheck('Stack-Check')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FunctionAnswerError);
    expect((err as Error).message).toBe('the check function failed (Unhandled)');
  });
});
