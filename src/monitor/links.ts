import type { NotificationLink } from '../contract/notification.js';

/**
 * Console links a notification carries: the dashboard, and a Logs Insights query over the check
 * function's log for one key. Pure: built from names the stack passes in.
 */
export interface LinkContext {
  readonly region: string | null;
  readonly dashboardUrl: string | null;
  readonly checkLogGroup: string | null;
}

/** The console's fragment encoding: every character but letters and digits as *XX (UTF-8 bytes). */
function consoleEscape(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((b) => (/[A-Za-z0-9]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `*${b.toString(16).padStart(2, '0')}`))
    .join('');
}

export function logsInsightsQuery(key: string | null): string {
  const filter = key === null ? 'filter ispresent(diagnosis) and healthy = 0' : `filter key = "${key.replace(/["\\]/g, '')}"`;
  return `fields @timestamp, key, diagnosis, title, advice\n| ${filter}\n| sort @timestamp desc\n| limit 100`;
}

export function logsInsightsUrl(region: string, logGroup: string, query: string, lookbackSeconds = 86_400): string {
  const detail =
    `~(end~0~start~-${lookbackSeconds}~timeType~'RELATIVE~unit~'seconds~editorString~'${consoleEscape(query)}` + `~source~(~'${consoleEscape(logGroup)}))`;
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#logsV2:logs-insights$3FqueryDetail$3D${detail}`;
}

export function notificationLinks(ctx: LinkContext, key: string | null): NotificationLink[] {
  const links: NotificationLink[] = [];
  if (ctx.dashboardUrl) links.push({ label: 'Dashboard', url: ctx.dashboardUrl });
  if (ctx.region && ctx.checkLogGroup) {
    links.push({
      label: key === null ? 'Unhealthy keys in the log' : `Log for ${key}`,
      url: logsInsightsUrl(ctx.region, ctx.checkLogGroup, logsInsightsQuery(key)),
    });
  }
  return links;
}
