import { describe, expect, it } from 'vitest';
import { acknowledgeIn, openIncidents } from '../../src/monitor/acknowledge.js';
import { NEW_KEY_STATE, type OpenIncident } from '../../src/monitor/incident-state.js';
import { identityName } from '../../src/cli/ack.js';
import { lambdaWarmDeps } from '../../src/handlers/check-deps.js';
import { ackLinkMaker, verifyAck } from '../../src/monitor/ack-token.js';
import { notificationFor, withAckLinks } from '../../src/monitor/incident-messages.js';

const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const incident = (id: string, diagnosis: OpenIncident['diagnosis'] = 'AUTH_FAILED'): OpenIncident => ({
  id,
  openedAt: T0,
  since: T0,
  diagnosis,
  transitions: 3,
  lastNotifiedAt: T0,
  failedRuns: 4,
  duringMaintenance: false,
});
const ack = { by: 'Ann', at: T0 + 60_000, note: null, via: 'link' as const };

describe('which incident an acknowledgement is for', () => {
  it('any open incident the state item holds counts, whatever its field (a key’s health incident and one beside it)', () => {
    const state = { ...NEW_KEY_STATE, incident: incident('key:k:1'), security: incident('security:k:2', 'WITHDRAW_PERMISSION_UNEXPECTED') };
    expect(openIncidents(state).map((o) => [o.slot, o.incident.id])).toEqual([
      ['incident', 'key:k:1'],
      ['security', 'security:k:2'],
    ]);
    expect(acknowledgeIn(state, { incidentId: null, diagnosis: null, ack })).toEqual({
      ok: false,
      refusal: { reason: 'ambiguous', ids: ['key:k:1', 'security:k:2'] },
    });
    const byId = acknowledgeIn(state, { incidentId: 'security:k:2', diagnosis: null, ack });
    expect(byId.ok && byId.state.security.ack).toEqual(ack);
    expect(byId.ok && byId.state.incident.ack).toBeUndefined();
  });

  it('refuses a state whose diagnosis is not the one the request was made for, one already acknowledged, and one not open', () => {
    const state = { ...NEW_KEY_STATE, incident: incident('key:k:1', 'IP_NOT_WHITELISTED') };
    expect(acknowledgeIn(state, { incidentId: 'key:k:1', diagnosis: 'AUTH_FAILED', ack })).toEqual({
      ok: false,
      refusal: { reason: 'changed', incidentId: 'key:k:1', diagnosis: 'IP_NOT_WHITELISTED' },
    });
    const done = acknowledgeIn(state, { incidentId: 'key:k:1', diagnosis: 'IP_NOT_WHITELISTED', ack });
    expect(done.ok).toBe(true);
    if (!done.ok) return;
    expect(acknowledgeIn(done.state, { incidentId: 'key:k:1', diagnosis: 'IP_NOT_WHITELISTED', ack: { ...ack, by: 'Eve' } })).toEqual({
      ok: false,
      refusal: { reason: 'already-acknowledged', incidentId: 'key:k:1', ack },
    });
    expect(acknowledgeIn(NEW_KEY_STATE, { incidentId: 'key:k:1', diagnosis: null, ack })).toEqual({ ok: false, refusal: { reason: 'no-open-incident' } });
  });
});

describe('the name an AWS identity gives `ack --by`', () => {
  it('is a user’s name or an assumed role’s session name', () => {
    expect(identityName('arn:aws:iam::123456789012:user/ops/ann')).toBe('ann');
    expect(identityName('arn:aws:sts::123456789012:assumed-role/Admin/ann@example.com')).toBe('ann@example.com');
    expect(identityName('arn:aws:iam::123456789012:root')).toBe('root');
    expect(identityName('not an arn')).toBeNull();
  });
});

describe('the Acknowledge link in alerts', () => {
  const base = 'https://abc123.lambda-url.us-east-1.on.aws/';
  const ctx = { source: 'Ops', expectedIps: [], links: () => [{ label: 'Dashboard', url: 'https://example.com/d' }] };
  const run = {
    key: 'trading',
    keyPrefix: 'sbx1',
    diagnosis: 'AUTH_FAILED' as const,
    code: 40101,
    httpStatus: null,
    egressIp: '203.0.113.7',
    advice: 'x',
    facts: [],
    keyAgeDays: 10,
    verified: [],
  };
  const scope = { type: 'key' as const, key: 'trading' };

  it('an alert about an open incident carries a link signed for its id and diagnosis, good for 7 days', async () => {
    const messages = await withAckLinks({ ...ctx, ackLinks: async () => ackLinkMaker(base, 'hmac-key') }, { warn: () => {} });
    const n = notificationFor({ kind: 'opened', scope, incident: incident('key:trading:1'), run }, T0, messages);
    const link = n.links.find((l) => l.label === 'Acknowledge');
    expect(n.links.map((l) => l.label)).toEqual(['Acknowledge', 'Dashboard']);
    expect(link?.url.startsWith(`${base}?t=`)).toBe(true);
    const token = new URL(link?.url as string).searchParams.get('t') as string;
    expect(verifyAck(token, 'hmac-key', T0)).toEqual({
      ok: true,
      claims: { scope, incidentId: 'key:trading:1', diagnosis: 'AUTH_FAILED', expiresAt: T0 + 7 * 86_400_000 },
    });
    expect(verifyAck(token, 'hmac-key', T0 + 7 * 86_400_000 + 1_000)).toEqual({ ok: false, fault: 'expired' });
    // Once acknowledged, its messages say who is on it and offer no link.
    const reminded = notificationFor({ kind: 'reminder', scope, incident: { ...incident('key:trading:1'), ack }, run }, T0, messages);
    expect(reminded.links.map((l) => l.label)).toEqual(['Dashboard']);
  });

  it('a signing key that cannot be read costs the link, never the alert', async () => {
    const warned: string[] = [];
    const messages = await withAckLinks(
      {
        ...ctx,
        ackLinks: async () => {
          throw new Error('AccessDenied');
        },
      },
      { warn: (m) => warned.push(m) },
    );
    const n = notificationFor({ kind: 'opened', scope, incident: incident('key:trading:1'), run }, T0, messages);
    expect(n.links.map((l) => l.label)).toEqual(['Dashboard']);
    expect(warned).toEqual(['alerts go out without an Acknowledge link: its signing key could not be read']);
  });
});

describe('acknowledgedRemindEveryHours reaches the rules', () => {
  it('the check function’s policy reminds acknowledged incidents as its environment says, and not at all by default', async () => {
    const env = {
      MONITORED_KEYS: JSON.stringify([{ name: 'trading', secretId: 'prod/cdc', expectTrade: true }]),
      STATE_TABLE: 'state',
      NOTIFICATION_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/q',
      AWS_REGION: 'us-east-1',
      EXCHANGE_BASE_URL: 'https://api.crypto.com/exchange/v1',
      IP_ECHO_URL: 'https://checkip.amazonaws.com',
    };
    const policy = async (extra: Record<string, string>) => (await lambdaWarmDeps({ ...env, ...extra })()).incidents?.policy;
    expect((await policy({}))?.acknowledgedRemindEveryMs).toBe(0);
    expect((await policy({ ACKNOWLEDGED_REMIND_EVERY_HOURS: '12' }))?.acknowledgedRemindEveryMs).toBe(12 * 3_600_000);
  });
});
