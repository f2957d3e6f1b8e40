/**
 * Base URLs that point at a method (or a namespace) in some spelling a server might fold, ignore or
 * decode: case, matrix parameters, trailing dots, escapes, separators, look-alikes. Every one must be
 * refused wherever a base URL is taken (CLI flag and environment, CDK context and construct) and by
 * the request guard. `\t` is stripped by URL parsers: "pri\tvate" arrives as "private".
 */
export const HOSTILE_BASE_URLS: readonly string[] = [
  'https://x.test/exchange/v1/PRIVATE/cancel-all-orders',
  'https://x.test/exchange/v1/Private/create-withdrawal',
  'https://x.test/exchange/v1/private;/cancel-all-orders',
  'https://x.test/exchange/v1/private./cancel-all-orders',
  'https://x.test/exchange/v1/%70rivate/cancel-all-orders',
  'https://x.test/exchange/v1/PUBLIC',
  'https://x.test/exchange/v1/Public/get-tickers',
  'https://x.test/exchange/v1/public;x=1',
  'https://x.test/exchange/v1/private%2Fcancel-all-orders',
  'https://x.test/exchange/v1/private%3B/cancel-all-orders',
  'https://x.test/exchange/v1/pri%76ate/create-withdrawal',
  'https://x.test/exchange/v1/ private/cancel-all-orders',
  'https://x.test/exchange/v1/pri\tvate/cancel-all-orders',
  'https://x.test/exchange/v1\\PRIVATE\\cancel-all-orders',
  'https://x.test/exchange/v1/private:/cancel-all-orders',
  'https://x.test/exchange/v1/;private/cancel-all-orders',
  'https://x.test/exchange/v1/private,/cancel-all-orders',
  'https://x.test/exchange/v1/private../cancel-all-orders',
  'https://x.test/exchange/v1/.private/cancel-all-orders',
  'https://x.test/exchange/v1/private~/cancel-all-orders',
  'https://x.test/exchange/v1/PRIVATE',
  'https://x.test/exchange/v1/private/../../private/cancel-all-orders',
  'https://x.test/exchange/v1/%2e%2e/private/cancel-all-orders',
  'https://x.test/exchange/v1/ＰＲＩＶＡＴＥ/cancel-all-orders',
  'https://x.test/exchange/v1/prıvate/cancel-all-orders',
  'https://x.test/exchange/v1/private-api/cancel-all-orders',
  'https://x.test/exchange/v1/private_/cancel-all-orders',
  'https://x.test/exchange/v1/PrIvAtE%00/cancel-all-orders',
  'https://x.test/exchange/v1/private@x/cancel-all-orders',
  'https://x.test/exchange/v1/private;jsessionid=1/create-withdrawal',
  'https://x.test/exchange/v1/PRIVATE%2F..%2Fcancel-all-orders',
  'https://x.test/PRIVATE/exchange/v1',
];

/** Roots that must still be accepted. */
export const GOOD_BASE_URLS: readonly string[] = [
  'https://api.crypto.com/exchange/v1',
  'https://api.crypto.com/exchange/v1/',
  'https://uat-api.3ona.co/exchange/v1',
  'https://relay.example.com/cdc-relay/exchange/v1',
  'https://api.crypto.com/v2',
];
