import { createHmac, timingSafeEqual } from 'node:crypto';
import { ACK_LINK_LABEL } from '../contract/ack-callback.js';
import { isJsonObject } from '../contract/json.js';
import type { AckScope } from './acknowledge-run.js';
import { DIAGNOSES, type Diagnosis } from './types.js';
import type { AckLinkMaker } from './incident-messages.js';

/**
 * The signed reference an Acknowledge link carries: which incident (its state item and id), the
 * diagnosis it was sent for, and until when it may be used, HMAC-SHA256 signed with the stack's ack
 * secret. It names the incident's meaning, not its notification count: reminders leave it valid, a
 * change of diagnosis does not (the new state needs its own acknowledgement), and the write that uses
 * it refuses an incident already acknowledged, so a link works once per incident state.
 */
export interface AckClaims {
  readonly scope: AckScope;
  readonly incidentId: string;
  readonly diagnosis: Diagnosis;
  /** Epoch ms after which the link is refused. */
  readonly expiresAt: number;
  /**
   * A security incident's findings when the alert went out: a new finding clears its acknowledgement
   * without changing its diagnosis (a second withdrawal), and a link from before it must not
   * acknowledge evidence its reader never saw. Absent for health incidents (their state is the diagnosis).
   */
  readonly findings?: number;
}

/** A link is good for at most this long after the alert that carried it (each reminder carries a fresh one). */
export const ACK_LINK_DAYS = 7;
/** Longer than any token we make (key names are short): anything longer is refused before any work. */
export const MAX_TOKEN_LENGTH = 1_000;

const DOMAIN = 'exchange-key-monitor/ack/v1';
const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');
const mac = (key: string, body: string) => createHmac('sha256', key).update(`${DOMAIN}.${body}`).digest();

export function signAck(claims: AckClaims, key: string): string {
  const body = b64(
    JSON.stringify({
      k: claims.scope.type === 'key' ? claims.scope.key : null,
      i: claims.incidentId,
      d: claims.diagnosis,
      e: Math.floor(claims.expiresAt / 1000),
      ...(claims.findings !== undefined ? { n: claims.findings } : {}),
    }),
  );
  return `${body}.${b64(mac(key, body))}`;
}

export type AckTokenFault = 'malformed' | 'bad-signature' | 'expired';
export type AckTokenCheck = { readonly ok: true; readonly claims: AckClaims } | { readonly ok: false; readonly fault: AckTokenFault };

/** The claims of a token this key signed and that has not expired; never says more than which rule failed. */
export function verifyAck(token: string, key: string, now: number): AckTokenCheck {
  if (token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) return { ok: false, fault: 'malformed' };
  const [body, sig] = token.split('.') as [string, string];
  const given = Buffer.from(sig, 'base64url');
  const expected = mac(key, body);
  // Compared in constant time; a signature of the wrong length is wrong without comparing.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, fault: 'bad-signature' };
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, fault: 'malformed' };
  }
  if (
    !isJsonObject(doc) ||
    !(doc['k'] === null || typeof doc['k'] === 'string') ||
    typeof doc['i'] !== 'string' ||
    typeof doc['d'] !== 'string' ||
    !(DIAGNOSES as readonly string[]).includes(doc['d']) ||
    typeof doc['e'] !== 'number' ||
    !(doc['n'] === undefined || (typeof doc['n'] === 'number' && Number.isInteger(doc['n']) && doc['n'] >= 0))
  )
    return { ok: false, fault: 'malformed' };
  const expiresAt = doc['e'] * 1000;
  if (now > expiresAt) return { ok: false, fault: 'expired' };
  const scope: AckScope = doc['k'] === null ? { type: 'monitor' } : { type: 'key', key: doc['k'] as string };
  const findings = typeof doc['n'] === 'number' ? { findings: doc['n'] } : {};
  return { ok: true, claims: { scope, incidentId: doc['i'], diagnosis: doc['d'] as Diagnosis, expiresAt, ...findings } };
}

/** The Acknowledge link of an open incident, as alerts carry it. */
export function ackLinkUrl(base: string, claims: AckClaims, key: string): string {
  const url = new URL(base);
  url.search = '';
  url.searchParams.set('t', signAck(claims, key));
  return url.href;
}

/** What the check and verify functions sign alerts' Acknowledge links with. */
export function ackLinkMaker(base: string, key: string): AckLinkMaker {
  return (scope, incident, now) => ({
    label: ACK_LINK_LABEL,
    url: ackLinkUrl(
      base,
      {
        scope: scope.type === 'key' ? { type: 'key', key: scope.key } : { type: 'monitor' },
        incidentId: incident.id,
        diagnosis: incident.diagnosis,
        expiresAt: now + ACK_LINK_DAYS * 86_400_000,
        ...(typeof incident.findings === 'number' ? { findings: incident.findings } : {}),
      },
      key,
    ),
  });
}
