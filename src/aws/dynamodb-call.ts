import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { AWS_CALL_TIMEOUT_MS } from '../contract/defaults.js';
import { awsClientOptions, withoutSdkLogging } from './aws-calls.js';

/** One DynamoDB operation with its input as the API documents it: the port the delivery ledger talks through. */
export type DynamoDbCall = (
  operation: 'GetItem' | 'PutItem' | 'DeleteItem',
  input: Readonly<Record<string, unknown>>,
  signal: AbortSignal,
) => Promise<Record<string, unknown>>;

/** A DynamoDB client whose every call ends (see aws-calls.ts). */
export function dynamoDbClient(opts: { timeoutMs?: number } = {}): DynamoDBClient {
  return withoutSdkLogging(new DynamoDBClient(awsClientOptions(opts.timeoutMs ?? AWS_CALL_TIMEOUT_MS)));
}

/** The ledger's calls on the SDK client (timeouts that throw; the ledger adds its own deadline). */
export function dynamoDbCall(client: DynamoDBClient = dynamoDbClient()): DynamoDbCall {
  return async (operation, input, abortSignal) => {
    const i = input as never;
    const out =
      operation === 'GetItem'
        ? await client.send(new GetItemCommand(i), { abortSignal })
        : operation === 'PutItem'
          ? await client.send(new PutItemCommand(i), { abortSignal })
          : await client.send(new DeleteItemCommand(i), { abortSignal });
    return out as unknown as Record<string, unknown>;
  };
}
