/** Where things are, by default. No imports: the CDK app and the Lambdas both read these. */
export const PRODUCTION_BASE_URL = 'https://api.crypto.com/exchange/v1';
export const UAT_BASE_URL = 'https://uat-api.3ona.co/exchange/v1';
/** Answers with the caller's public IP as plain text. */
export const DEFAULT_IP_ECHO_URL = 'https://checkip.amazonaws.com';
