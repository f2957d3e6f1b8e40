import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { invokeVerify, VerifyFunctionError } from '../../src/aws/verify-invoke.js';

const lambda = mockClient(LambdaClient);
const bytes = (v: string) => new TextEncoder().encode(v);

describe('invokeVerify: the CLI’s IAM-authorised call to the verify function', () => {
  afterEach(() => lambda.reset());

  it('waits for the answer (RequestResponse) with the nudge as the payload, and returns the function’s result', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: bytes('{"status":"already-verifying","key":"trading"}') as never });
    await expect(invokeVerify('Monitor-Verify', { key: 'trading', reason: 'order refused' })).resolves.toEqual({ status: 'already-verifying', key: 'trading' });
    const input = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(input?.FunctionName).toBe('Monitor-Verify');
    expect(input?.InvocationType).toBe('RequestResponse');
    expect(JSON.parse(new TextDecoder().decode(input?.Payload as Uint8Array))).toEqual({ key: 'trading', reason: 'order refused' });
  });

  it('turns a function error into a named error that quotes none of what the function said', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: bytes('{"errorMessage":"secret sbxAbCdEfGh leaked","errorType":"Error"}') as never,
    });
    const err = await invokeVerify('Monitor-Verify', { key: 'trading' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerifyFunctionError);
    expect((err as Error).message).toBe('the verify function failed (Unhandled)');
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: bytes('<html>') as never });
    await expect(invokeVerify('Monitor-Verify', { key: 'trading' })).rejects.toThrow('the verify function answered with something that is not JSON');
  });
});
