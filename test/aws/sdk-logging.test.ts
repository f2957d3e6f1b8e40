import { describe, expect, it } from 'vitest';
import { dynamoDbClient } from '../../src/aws/dynamodb-call.js';
import { secretsManagerClient } from '../../src/aws/secrets.js';

/**
 * The check's clients read 1,000 secrets and states a run: the SDK's logger middleware would copy
 * each reply through its schema for a logger that prints nothing. The clients the check uses have none.
 */
describe('the check run’s AWS clients', () => {
  it.each([
    ['Secrets Manager', () => secretsManagerClient()],
    ['DynamoDB', () => dynamoDbClient()],
  ])('%s: no logger middleware in the stack, the rest as the SDK builds it', (_name, make) => {
    const client = make();
    const stack = client.middlewareStack.identify().join('\n');
    expect(stack).not.toMatch(/loggerMiddleware/);
    expect(stack).toMatch(/retryMiddleware/);
    client.destroy();
  });
});
