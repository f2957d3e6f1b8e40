/**
 * The shapes AWS gives its names, where the CDK config and the CLI both judge user input by them.
 * Checked up front so a typo is named as one instead of reaching an API call that does something
 * else with it (an empty stack name makes DescribeStacks list every stack). No imports.
 */

/** Secrets Manager: ASCII letters, digits and /_+=.@-, at most 512 characters. */
export const SECRET_NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

export const SECRET_ARN_PATTERN = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):(\d{12}):secret:[A-Za-z0-9/_+=.@-]+$/;

/** CloudFormation: a letter, then letters, digits and hyphens, at most 128 characters; or the stack's ARN. */
export const STACK_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

export const STACK_ARN_PATTERN = /^arn:aws[a-z-]*:cloudformation:[a-z0-9-]+:\d{12}:stack\/[A-Za-z][A-Za-z0-9-]{0,127}\/[0-9a-f-]{36}$/;

/** The region a secret ARN names (`arn:aws:secretsmanager:eu-west-1:…` → `eu-west-1`), or null. */
export function secretArnRegion(arn: string): string | null {
  return SECRET_ARN_PATTERN.exec(arn)?.[1] ?? null;
}
