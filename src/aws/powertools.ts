import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

import { DEFAULT_NAMESPACE, SERVICE_NAME } from '../contract/service.js';

/** One Logger and one Metrics for the whole process (namespace and service come from env). */

export const logger = new Logger({ serviceName: process.env['POWERTOOLS_SERVICE_NAME'] ?? SERVICE_NAME });
export const metrics = new Metrics({
  serviceName: process.env['POWERTOOLS_SERVICE_NAME'] ?? SERVICE_NAME,
  namespace: process.env['POWERTOOLS_METRICS_NAMESPACE'] ?? DEFAULT_NAMESPACE,
});
