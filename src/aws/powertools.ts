import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

import { DEFAULT_NAMESPACE, SERVICE_NAME } from '../contract/service.js';

/** One Logger and one Metrics for the whole process (namespace and service come from env). */

export const logger = new Logger({ serviceName: process.env['POWERTOOLS_SERVICE_NAME'] ?? SERVICE_NAME });
export const metrics = new Metrics({
  serviceName: process.env['POWERTOOLS_SERVICE_NAME'] ?? SERVICE_NAME,
  namespace: process.env['POWERTOOLS_METRICS_NAMESPACE'] ?? DEFAULT_NAMESPACE,
});

type Fields = Record<string, unknown>;

/** The logger as the use cases' log port: a message, then its structured fields (if any). */
export const log = {
  info: (message: string, fields?: Fields) => (fields ? logger.info(message, fields) : logger.info(message)),
  warn: (message: string, fields?: Fields) => (fields ? logger.warn(message, fields) : logger.warn(message)),
  error: (message: string, fields?: Fields) => (fields ? logger.error(message, fields) : logger.error(message)),
};
