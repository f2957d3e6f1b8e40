import type { NotificationLink } from '../contract/notification.js';
import { ackText, acknowledgeIn, MAX_ACK_BY, MAX_ACK_NOTE } from './acknowledge.js';
import { acknowledgeIncident, type AckScope, type AckStorePort } from './acknowledge-run.js';
import { confirmPage, donePage, namePage, refusalPage, SECURITY_HEADERS, type IncidentSummary, type PageResponse } from './ack-page.js';
import { verifyAck, type AckClaims } from './ack-token.js';
import { DIAGNOSIS_TABLE } from './diagnosis-table.js';
import { utc } from './incident-messages.js';
import type { NotificationSink } from './ports.js';
import type { TelegramAckDeps } from './ack-telegram.js';

/**
 * The Acknowledge link's endpoint (a Lambda function URL with no auth of its own: this authenticates
 * every request). A GET shows a confirmation page and changes nothing, so link previewers (chat
 * unfurls, mail scanners) never acknowledge; only the page's POST does, from this origin, with the
 * signed token in the form. Every refusal looks the same to the caller and is logged without the token.
 */
export interface AckHttpRequest {
  readonly method: string;
  readonly query: string;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** Decoded. */
  readonly body: string | null;
}

export interface AckEndpointDeps {
  /** The HMAC key (the stack's ack secret). */
  readonly key: () => Promise<string>;
  readonly store: AckStorePort;
  readonly sink: NotificationSink;
  readonly source: string;
  readonly links: (key: string | null) => NotificationLink[];
  readonly now: () => number;
  readonly log: { warn(message: string, fields: Record<string, unknown>): void; info(message: string, fields: Record<string, unknown>): void };
  /** Telegram's button presses (absent: the endpoint serves links only). */
  readonly telegram?: TelegramAckDeps['telegram'];
  readonly answer?: TelegramAckDeps['answer'];
}

/** A form of two short fields and a token: anything larger is not our page's. */
const MAX_BODY = 4_096;

function describeScope(scope: AckScope): string {
  return scope.type === 'key' ? `key ${scope.key}` : 'all keys (one root cause)';
}

async function openSummary(claims: AckClaims, deps: AckEndpointDeps): Promise<{ summary: IncidentSummary } | { refused: string }> {
  const stored = await deps.store.read(claims.scope);
  // A dry run of the write's own rule: the page offers only what the POST would accept.
  const probe = acknowledgeIn(stored?.state ?? {}, {
    incidentId: claims.incidentId,
    diagnosis: claims.diagnosis,
    findings: claims.findings ?? null,
    ack: { by: '-', at: deps.now(), note: null, via: 'link' },
  });
  if (!probe.ok) return { refused: probe.refusal.reason };
  return {
    summary: {
      what: describeScope(claims.scope),
      title: DIAGNOSIS_TABLE[probe.incident.diagnosis].title,
      since: utc(probe.incident.since),
      source: deps.source,
    },
  };
}

export async function handleAckRequest(req: AckHttpRequest, deps: AckEndpointDeps): Promise<PageResponse> {
  const method = req.method.toUpperCase();
  const refuse = (why: string, fields: Record<string, unknown> = {}, status = 403) => {
    deps.log.warn('acknowledge link refused', { why, method, ...fields });
    return refusalPage(status);
  };
  if (method === 'OPTIONS') return { statusCode: 204, headers: { ...SECURITY_HEADERS, allow: 'GET, HEAD, POST' }, body: '' };
  if (method === 'GET' || method === 'HEAD') {
    const token = new URLSearchParams(req.query).get('t') ?? '';
    const checked = verifyAck(token, await deps.key(), deps.now());
    const res = !checked.ok
      ? refuse(checked.fault)
      : await openSummary(checked.claims, deps).then((o) =>
          'refused' in o ? refuse(o.refused, { incidentId: checked.claims.incidentId }) : confirmPage(o.summary, token),
        );
    return method === 'HEAD' ? { ...res, body: '' } : res;
  }
  if (method !== 'POST') return { ...refuse('method', {}, 405), headers: { ...SECURITY_HEADERS, allow: 'GET, HEAD, POST' } };

  // Telegram's webhook: authenticated by its secret-token header instead (a server posts it, not a browser).
  if (req.headers['x-telegram-bot-api-secret-token'] !== undefined) {
    const { handleTelegramUpdate } = await import('./ack-telegram.js');
    return handleTelegramUpdate(req, { ...deps, telegram: deps.telegram ?? (async () => null), answer: deps.answer ?? (async () => {}) });
  }
  // A form on another site posting here: browsers say where a POST comes from, and only our own page may.
  const host = req.headers['host'];
  if (!host || req.headers['origin'] !== `https://${host}`) return refuse('cross-origin');
  if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) return refuse('not-a-form', {}, 400);
  if (req.body === null || req.body.length > MAX_BODY) return refuse('body-size', {}, 400);
  const form = new URLSearchParams(req.body);
  const token = form.get('t') ?? '';
  const checked = verifyAck(token, await deps.key(), deps.now());
  if (!checked.ok) return refuse(checked.fault);
  const { claims } = checked;
  const by = ackText(form.get('by') ?? '', MAX_ACK_BY);
  const note = ackText(form.get('note') ?? '', MAX_ACK_NOTE) || null;
  if (by === '') {
    const open = await openSummary(claims, deps);
    return 'refused' in open ? refuse(open.refused, { incidentId: claims.incidentId }) : namePage(open.summary, token);
  }
  const outcome = await acknowledgeIncident(
    claims.scope,
    { incidentId: claims.incidentId, diagnosis: claims.diagnosis, findings: claims.findings ?? null, ack: { by, at: deps.now(), note, via: 'link' } },
    { store: deps.store, sink: deps.sink, source: deps.source, links: deps.links },
  );
  if (!outcome.ok) return refuse(outcome.refusal.reason, { incidentId: claims.incidentId });
  deps.log.info('incident acknowledged', { incidentId: outcome.incident.id, via: 'link', announced: outcome.announced });
  return donePage(
    {
      what: describeScope(claims.scope),
      title: DIAGNOSIS_TABLE[outcome.incident.diagnosis].title,
      since: utc(outcome.incident.since),
      source: deps.source,
    },
    by,
  );
}
