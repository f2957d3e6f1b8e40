/**
 * The SNS channels' PublishPort: one sns:Publish per message, and the SDK's error judged as a
 * delivery outcome. Only this adapter knows SNS's error names; reasons carry the error class and
 * what it means, never the SDK's message (it quotes topic ARNs, account ids and policy text).
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { DeliveryOutcome, PublishPort, SnsMessage } from '../channels/channel.js';
import { DEFAULT_RETRY_WAIT_MS } from '../channels/outcome.js';
import { refusalFix } from '../channels/refusals.js';
import { AWS_CALL_TIMEOUT_MS } from '../contract/defaults.js';
import { awsCallDeadlineMs, awsClientOptions, awsFault, callWithDeadline } from './aws-calls.js';

/** Retrying these only repeats them: the topic, its policy or its KMS key must change first. */
const PERMANENT: Readonly<Record<string, string>> = {
  AuthorizationErrorException: 'not allowed to publish to the topic (check the function role and the topic policy)',
  AuthorizationError: 'not allowed to publish to the topic (check the function role and the topic policy)',
  NotFoundException: 'the topic does not exist',
  NotFound: 'the topic does not exist',
  InvalidParameterException: 'SNS rejected the message as invalid',
  InvalidParameterValueException: 'SNS rejected the message as invalid',
  ValidationException: 'SNS rejected the message as invalid',
  InvalidSecurityException: 'the request was not signed with valid credentials for SNS',
  KMSAccessDeniedException: 'no access to the topic’s KMS key',
  KMSDisabledException: 'the topic’s KMS key is disabled',
  KMSInvalidStateException: 'the topic’s KMS key is not usable (pending deletion?)',
  KMSNotFoundException: 'the topic’s KMS key does not exist',
  KMSOptInRequired: 'KMS is not enabled for this account',
  EndpointDisabledException: 'the endpoint is disabled',
  AccessDeniedException: 'access denied',
  AccessDenied: 'access denied',
};

/** Worth another try later: the service or the network was momentarily unable. */
const TRANSIENT: Readonly<Record<string, string>> = {
  ThrottledException: 'SNS throttled the request',
  Throttling: 'SNS throttled the request',
  ThrottlingException: 'SNS throttled the request',
  KMSThrottlingException: 'KMS throttled the request',
  InternalErrorException: 'SNS internal error',
  InternalError: 'SNS internal error',
  ServiceUnavailable: 'SNS unavailable',
};

/** A Publish failure as a delivery outcome: by error class name, then by fault kind. */
export function publishOutcome(err: unknown): DeliveryOutcome {
  const { fault, errorName } = awsFault(err);
  const e = (err ?? {}) as { $fault?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const name = errorName;
  // Email and Amazon Q share SNS's refusals, and so their fixes.
  const refused = (reason: string, code: string): DeliveryOutcome => ({ status: 'permanent', reason, fix: refusalFix('email', { code }) });
  if (PERMANENT[name]) return refused(`sns: ${PERMANENT[name]} (${name})`, name);
  if (TRANSIENT[name]) return { status: 'retry', afterMs: DEFAULT_RETRY_WAIT_MS, reason: `sns: ${TRANSIENT[name]} (${name})` };
  switch (fault) {
    case 'throttled':
      return { status: 'retry', afterMs: DEFAULT_RETRY_WAIT_MS, reason: `sns: throttled (${name})` };
    case 'timeout':
      return {
        status: 'retry',
        afterMs: DEFAULT_RETRY_WAIT_MS,
        reason: `sns: no answer in time (${name}); it may have been published, so a retry can duplicate it`,
      };
    case 'unreachable':
      return { status: 'retry', afterMs: DEFAULT_RETRY_WAIT_MS, reason: `sns: could not be reached (${name})` };
    case 'no-region':
    case 'no-aws-credentials':
      // In Lambda both come from the environment; a cold start that lost them is rare and passing.
      return {
        status: 'retry',
        afterMs: DEFAULT_RETRY_WAIT_MS,
        reason: `sns: ${fault === 'no-region' ? 'no AWS region' : 'no valid AWS credentials'} (${name})`,
      };
    case 'access-denied':
    case 'kms-denied':
    case 'not-found':
      return refused(`sns: ${fault} (${name})`, `${name} ${fault}`);
    default:
  }
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : null;
  // A client fault the tables do not know is still the request's fault: repeating it cannot help.
  if (e.$fault === 'client' || (status !== null && status >= 400 && status < 500 && status !== 429)) {
    return refused(`sns: request rejected (${name})`, name);
  }
  return { status: 'retry', afterMs: DEFAULT_RETRY_WAIT_MS, reason: `sns: publish failed (${name})` };
}

/** An SNS client whose every call ends (see aws-calls.ts). */
export function snsClient(opts: { timeoutMs?: number } = {}): SNSClient {
  return new SNSClient(awsClientOptions(opts.timeoutMs ?? AWS_CALL_TIMEOUT_MS));
}

export class SnsPublisher implements PublishPort {
  constructor(
    private readonly sns: SNSClient,
    private readonly deadlineMs: number = awsCallDeadlineMs(),
  ) {}

  async publish(message: SnsMessage): Promise<DeliveryOutcome> {
    try {
      await callWithDeadline(
        (abortSignal) => this.sns.send(new PublishCommand({ TopicArn: message.topicArn, Subject: message.subject, Message: message.message }), { abortSignal }),
        this.deadlineMs,
      );
      return { status: 'sent' };
    } catch (err) {
      return publishOutcome(err);
    }
  }
}
