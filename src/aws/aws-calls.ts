import { AWS_CALL_ATTEMPTS, AWS_CALL_TIMEOUT_MS } from '../contract/defaults.js';
import type { SecretFault } from '../monitor/types.js';

/**
 * Every AWS SDK call the monitor makes must end inside the run's budget. The SDK's requestTimeout
 * only logs a warning unless throwOnRequestTimeout is set too, and the credential and region
 * resolution happen outside it, so each call also gets an overall AbortSignal deadline.
 */
export function awsClientOptions(timeoutMs: number = AWS_CALL_TIMEOUT_MS) {
  return {
    maxAttempts: AWS_CALL_ATTEMPTS,
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true },
  };
}

/**
 * A client without the SDK's logger middleware. That middleware copies every input and output
 * through the operation's schema to hide sensitive fields before it hands them to the logger, even
 * when the logger does nothing: a run's batch reads of 1,000 secrets and states would be copied
 * whole, each run, for no one. These clients are given no logger, so nothing is lost.
 */
export function withoutSdkLogging<C extends { middlewareStack: { remove(name: string): boolean } }>(client: C): C {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}

/** The longest one SDK call (all its attempts) may take. */
export function awsCallDeadlineMs(timeoutMs: number = AWS_CALL_TIMEOUT_MS): number {
  return timeoutMs * AWS_CALL_ATTEMPTS + 500;
}

export class AwsCallTimeout extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * Run one SDK call with an AbortSignal, and give up on it at the deadline even if the SDK does not
 * honour the signal (credential resolution, for one, ignores it).
 */
export async function callWithDeadline<T>(call: (signal: AbortSignal) => Promise<T>, deadlineMs: number = awsCallDeadlineMs()): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new AwsCallTimeout(`no answer within ${deadlineMs} ms`));
    }, deadlineMs);
    timer.unref?.();
  });
  try {
    return await Promise.race([call(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ETIMEDOUT']);

/**
 * An SDK error as a typed fault, keyed on its class name and codes only: AWS messages can quote
 * ARNs, account ids and policy text, none of which belongs in an alert.
 */
export function awsFault(err: unknown): { readonly fault: SecretFault; readonly errorName: string } {
  const e = (err ?? {}) as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = typeof e.name === 'string' && /^[A-Za-z]{1,64}$/.test(e.name) ? e.name : 'Error';
  const fault = ((): SecretFault => {
    switch (name) {
      case 'ResourceNotFoundException':
      case 'InvalidRequestException':
        return 'not-found';
      case 'AccessDeniedException':
      case 'AccessDenied':
        return 'access-denied';
      case 'DecryptionFailure':
      case 'KMSAccessDeniedException':
        return 'kms-denied';
      case 'CredentialsProviderError':
      case 'UnrecognizedClientException':
      case 'InvalidClientTokenId':
      case 'ExpiredTokenException':
      case 'ExpiredToken':
        return 'no-aws-credentials';
      case 'ThrottlingException':
      case 'TooManyRequestsException':
      case 'RequestLimitExceeded':
        return 'throttled';
      case 'TimeoutError':
      case 'AbortError':
      case 'RequestTimeout':
      case 'RequestTimeoutException':
        return 'timeout';
    }
    if (typeof e.message === 'string' && /region is missing/i.test(e.message)) return 'no-region';
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code === 'ETIMEDOUT' ? 'timeout' : 'unreachable';
    return 'service-error';
  })();
  const code = typeof e.code === 'string' && /^[A-Z_]{2,32}$/.test(e.code) ? e.code : null;
  return { fault, errorName: fault === 'no-region' ? 'region missing' : name === 'Error' ? (code ?? 'no error name') : name };
}

/** A DynamoDB write whose condition did not hold: another writer got there first, not a fault. */
export const isConditionalCheckFailed = (err: unknown) => (err as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';
