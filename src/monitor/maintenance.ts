import { createHash } from 'node:crypto';
import { displaySafe } from '../exchange/text-safety.js';
import type { MaintenanceWindow } from './incident-state.js';
import { isJsonObject } from '../contract/json.js';
import type { ExchangePort } from './ports.js';

/**
 * The exchange's system announcements (`public/get-announcements?category=system`) as maintenance
 * windows. Only what is well-formed is kept: a window needs a start and an end; what is impacted
 * is listed where the exchange says it is not business as usual (BAU).
 */
export const ANNOUNCEMENT_QUERY = 'category=system';

function millis(v: unknown): number | null {
  const num = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  return typeof num === 'number' && Number.isFinite(num) && num > 0 ? num : null;
}

function impacted(params: unknown): string[] {
  if (!isJsonObject(params)) return [];
  return Object.entries(params)
    .filter(([, v]) => typeof v === 'string' && v.toUpperCase() !== 'BAU')
    .map(([k, v]) => `${displaySafe(k.replace(/_impacted$/, '').replace(/_/g, ' '), 40)}: ${displaySafe(String(v), 20)}`)
    .slice(0, 12);
}

/** null when the reply is not an announcements answer at all (then the old windows are kept). */
export function parseAnnouncements(text: string | null, now: number): MaintenanceWindow[] | null {
  if (text === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isJsonObject(json) || Number(json['code']) !== 0 || !isJsonObject(json['result']) || !Array.isArray(json['result']['data'])) return null;
  const windows: MaintenanceWindow[] = [];
  for (const item of json['result']['data'] as unknown[]) {
    if (!isJsonObject(item)) continue;
    if (item['category'] !== undefined && item['category'] !== 'system') continue;
    const start = millis(item['start_time']);
    const end = millis(item['end_time']);
    if (start === null || end === null || end < start || end < now - 86_400_000) continue;
    const title = displaySafe(typeof item['title'] === 'string' ? item['title'] : 'System maintenance', 160) || 'System maintenance';
    // A digest of the exchange's id: display-safe text would turn a hex id into "[redacted]", and
    // every such window would then share one id (and one "already announced").
    const id = createHash('sha256')
      .update(String(item['id'] ?? `${start}-${end}`))
      .digest('base64url')
      .slice(0, 16);
    windows.push({ id, start, end, title, impacted: impacted(item['impacted_params']) });
  }
  return windows.sort((a, b) => a.start - b.start).slice(0, 20);
}

/** Where announcements live: the API's /v1 root on the exchange's origin (not under /exchange/v1). */
export function defaultAnnouncementsUrl(exchangeBaseUrl: string): string {
  return `${new URL(exchangeBaseUrl).origin}/v1/public/get-announcements`;
}

/**
 * The announcements as the incident run's maintenance source, read through the check's own exchange
 * port (its egress, its proxy). A reply that is not an announcements answer throws: the run then
 * keeps the windows it knew rather than take "no answer" for "no maintenance".
 */
export function announcementWindows(
  exchange: Pick<ExchangePort, 'getText'>,
  announcementsUrl: string,
  now: () => number = Date.now,
): { windows(): Promise<MaintenanceWindow[]> } {
  return {
    windows: async () => {
      const { text } = await exchange.getText(`${announcementsUrl}?${ANNOUNCEMENT_QUERY}`);
      const windows = parseAnnouncements(text, now());
      if (windows === null) throw new Error('the announcements reply was not an answer');
      return windows;
    },
  };
}
