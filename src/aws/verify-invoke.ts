import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { awsClientOptions, callWithDeadline } from './aws-calls.js';

/** A verification takes at most the verify function's 30 s timeout; the call waits a little longer. */
const INVOKE_TIMEOUT_MS = 40_000;

/** The verify function answered with an error instead of a result (a crash, a timeout inside Lambda). */
export class VerifyFunctionError extends Error {
  override readonly name = 'VerifyFunctionError';
}

/** Ask the deployed verify function to check one key now and wait for its answer (an IAM-authorised invoke). */
export async function invokeVerify(functionName: string, payload: { key: string; reason?: string }): Promise<unknown> {
  const lambda = new LambdaClient(awsClientOptions(INVOKE_TIMEOUT_MS));
  try {
    const res = await callWithDeadline(
      (abortSignal) =>
        lambda.send(
          new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(payload)) }),
          { abortSignal },
        ),
      INVOKE_TIMEOUT_MS + 5_000,
    );
    // The function's own error text can quote anything it saw: only its class travels on.
    if (res.FunctionError) throw new VerifyFunctionError(`the verify function failed (${res.FunctionError === 'Unhandled' ? 'Unhandled' : 'Handled'})`);
    try {
      return JSON.parse(new TextDecoder().decode(res.Payload ?? new Uint8Array())) as unknown;
    } catch {
      throw new VerifyFunctionError('the verify function answered with something that is not JSON');
    }
  } finally {
    lambda.destroy();
  }
}
