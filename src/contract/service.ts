/** Service name and default namespace, shared with the CDK stack (no Powertools import here). */
export const SERVICE_NAME = 'exchange-key-monitor';
export const DEFAULT_NAMESPACE = 'ExchangeKeyMonitor';
