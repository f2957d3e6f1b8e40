import { describe, expect, it } from 'vitest';
import {
  currentSinceStart,
  findStagedKey,
  gateStep,
  keyChange,
  parseVerdictTag,
  unfinishedPendingVersion,
  verdictTagValue,
  type VersionInfo,
} from '../../src/monitor/rotation-rules.js';
import { keyForSecret } from '../../src/monitor/runtime-config.js';

const at = (s: number) => new Date(Date.UTC(2026, 10, 1, 0, 0, s));
const v = (id: string, stages: string[], created: number | null): VersionInfo => ({ id, stages, createdDate: created === null ? null : at(created) });

describe('findStagedKey', () => {
  it('uses the value under the rotation token when there is one', () => {
    expect(findStagedKey([v('cur', ['AWSCURRENT'], 10), v('tok', ['AWSPENDING'], 20)], 'tok', true)).toEqual({ kind: 'under-token' });
  });

  it('takes the version the operator labelled KEYMONITOR_STAGED, and only that one', () => {
    const versions = [
      v('retired', [], 1),
      v('prev', ['AWSPREVIOUS'], 5),
      v('cur', ['AWSCURRENT'], 10),
      v('newer-unlabelled', [], 30),
      v('staged', ['KEYMONITOR_STAGED'], 20),
    ];
    expect(findStagedKey(versions, 'tok', false)).toEqual({ kind: 'copy', fromVersionId: 'staged' });
  });

  it('finds nothing when no version is labelled, or the label sits on the current or previous key', () => {
    expect(findStagedKey([v('prev', ['AWSPREVIOUS'], 5), v('cur', ['AWSCURRENT'], 10), v('newer', [], 40)], 'tok', false)).toEqual({ kind: 'nothing-staged' });
    expect(findStagedKey([v('cur', ['AWSCURRENT', 'KEYMONITOR_STAGED'], 10)], 'tok', false)).toEqual({ kind: 'nothing-staged' });
    expect(findStagedKey([v('prev', ['AWSPREVIOUS', 'KEYMONITOR_STAGED'], 5), v('cur', ['AWSCURRENT'], 10)], 'tok', false)).toEqual({ kind: 'nothing-staged' });
  });

  it('never brings back a key staged before the current one (a retired key must not come back)', () => {
    expect(findStagedKey([v('staged', ['KEYMONITOR_STAGED'], 1), v('cur', ['AWSCURRENT'], 10)], 'tok', false)).toEqual({ kind: 'stale', versionId: 'staged' });
  });

  it('gives a tie (one-second dates) to the label', () => {
    expect(findStagedKey([v('cur', ['AWSCURRENT'], 10), v('staged', ['KEYMONITOR_STAGED'], 10)], 'tok', false)).toEqual({
      kind: 'copy',
      fromVersionId: 'staged',
    });
  });

  it('refuses to guess when a date is unknown', () => {
    expect(findStagedKey([v('cur', ['AWSCURRENT'], null), v('staged', ['KEYMONITOR_STAGED'], 30)], 'tok', false)).toEqual({ kind: 'current-unknown' });
    expect(findStagedKey([v('cur', ['AWSCURRENT'], 10), v('staged', ['KEYMONITOR_STAGED'], null)], 'tok', false)).toEqual({ kind: 'current-unknown' });
  });
});

describe('currentSinceStart', () => {
  const FROM = 'KEYMONITOR_ROTATING_FROM';

  it('lets the rotation go on while AWSCURRENT is where it started, or already on its own version', () => {
    expect(currentSinceStart([v('cur', ['AWSCURRENT', FROM], 10), v('tok', ['AWSPENDING'], 20)], 'tok')).toEqual({ kind: 'unchanged' });
    expect(currentSinceStart([v('old', [FROM], 10), v('tok', ['AWSCURRENT', 'AWSPENDING'], 20)], 'tok')).toEqual({ kind: 'unchanged' });
  });

  it('sees a move back to an older version (the README’s rollback), which no version date shows', () => {
    const rolledBack = [v('prev', ['AWSCURRENT'], 5), v('cur', ['AWSPREVIOUS', FROM], 10), v('tok', ['AWSPENDING'], 20)];
    expect(currentSinceStart(rolledBack, 'tok')).toEqual({ kind: 'moved', startedFrom: 'cur', currentNow: 'prev' });
  });

  it('sees a key put live after the rotation started, whatever the dates say', () => {
    expect(currentSinceStart([v('cur', ['AWSPREVIOUS', FROM], 10), v('tok', ['AWSPENDING'], 20), v('byhand', ['AWSCURRENT'], 20)], 'tok')).toMatchObject({
      kind: 'moved',
      currentNow: 'byhand',
    });
  });

  it('refuses to guess without a record of where it started, or with unknown dates', () => {
    expect(currentSinceStart([v('cur', ['AWSCURRENT'], 10), v('tok', ['AWSPENDING'], 20)], 'tok')).toEqual({ kind: 'not-recorded' });
    expect(currentSinceStart([v('cur', ['AWSCURRENT', FROM], null), v('tok', ['AWSPENDING'], 20)], 'tok')).toEqual({ kind: 'current-unknown' });
  });

  it('stops a retried rotation whose version is older than the key live now', () => {
    expect(currentSinceStart([v('tok', ['AWSPENDING'], 20), v('byhand', ['AWSCURRENT', FROM], 30)], 'tok')).toEqual({ kind: 'superseded' });
  });
});

describe('keyChange', () => {
  const value = (apiKey: string, apiSecret: string) => JSON.stringify({ apiKey, apiSecret });

  it('calls the same key with the same secret "same key", however the JSON is written', () => {
    expect(keyChange(value('AbCdKeY01234', 'sEcReT012345'), `  {"apiSecret": "sEcReT012345", "apiKey": "AbCdKeY01234"}\n`)).toEqual({
      kind: 'same-key',
      prefix: 'AbCd',
    });
  });

  it('tells a replaced secret of the same key apart from a new key', () => {
    expect(keyChange(value('AbCdKeY01234', 'sEcReT012345'), value('AbCdKeY01234', 'tYpO00000000'))).toEqual({ kind: 'secret-replaced', prefix: 'AbCd' });
    expect(keyChange(value('AbCdKeY01234', 'sEcReT012345'), value('WxYzKeY01234', 'sEcReT012345'))).toEqual({
      kind: 'new-key',
      prefix: 'AbCd',
      oldPrefix: 'WxYz',
    });
    expect(keyChange(value('AbCdKeY01234', 'sEcReT012345'), value('AbCdOtHeR999', 'sEcReT012345'))).toEqual({
      kind: 'new-key',
      prefix: 'AbCd',
      oldPrefix: 'AbCd',
    });
  });

  it('knows a first key (the empty placeholder a new secret holds) has no old key behind it', () => {
    expect(keyChange(value('AbCdKeY01234', 'sEcReT012345'), '{"apiKey":"","apiSecret":""}')).toEqual({ kind: 'first-key', prefix: 'AbCd' });
    expect(keyChange(value('AbCdKeY01234', 'sEcReT012345'), null)).toEqual({ kind: 'first-key', prefix: 'AbCd' });
  });

  it('does not guess the old key from a value that is not one', () => {
    expect(keyChange(value('AbCdKeY01234', 'sEcReT012345'), '{"apiKey":"WxYzKeY01234"}')).toEqual({ kind: 'old-unreadable', prefix: 'AbCd' });
    expect(keyChange(value('AbCdKeY01234', 'sEcReT012345'), 'apiKey=WxYz')).toEqual({ kind: 'old-unreadable', prefix: 'AbCd' });
    expect(keyChange('not json', value('AbCdKeY01234', 'sEcReT012345'))).toEqual({ kind: 'new-unreadable' });
  });
});

describe('unfinishedPendingVersion', () => {
  it('names AWSPENDING on a non-current version (RotateSecret will not start), not AWSPENDING riding on AWSCURRENT', () => {
    expect(unfinishedPendingVersion([v('cur', ['AWSCURRENT'], 10), v('stuck', ['AWSPENDING'], 20)])).toBe('stuck');
    expect(unfinishedPendingVersion([v('cur', ['AWSCURRENT', 'AWSPENDING'], 10), v('prev', ['AWSPREVIOUS'], 5)])).toBeUndefined();
  });
});

describe('gateStep', () => {
  it('makes every step a no-op once the token is AWSCURRENT', () => {
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      expect(gateStep([v('tok', ['AWSCURRENT', 'AWSPENDING'], 1)], 'tok', step)).toEqual({ kind: 'already-promoted' });
    }
  });

  it('requires AWSPENDING on the token for every step but createSecret', () => {
    expect(gateStep([v('cur', ['AWSCURRENT'], 1)], 'tok', 'createSecret')).toEqual({ kind: 'proceed' });
    expect(gateStep([v('cur', ['AWSCURRENT'], 1)], 'tok', 'finishSecret')).toEqual({ kind: 'not-pending' });
  });
});

describe('the verdict tag', () => {
  it('round-trips and only uses characters tag values allow', () => {
    const tag = verdictTagValue({ outcome: 'refused', diagnosis: 'IP_NOT_WHITELISTED', token: '1b0c6a1e-aaaa-bbbb-cccc-0123456789ab' });
    expect(tag).toMatch(/^[A-Za-z0-9 _.:/=+@-]+$/);
    expect(parseVerdictTag(tag)).toEqual({ outcome: 'refused', diagnosis: 'IP_NOT_WHITELISTED', token: '1b0c6a1e-aaaa-bbbb-cccc-0123456789ab' });
    expect(parseVerdictTag('garbage')).toBeNull();
  });
});

describe('keyForSecret maps a rotating secret to exactly one monitored key', () => {
  const keys = [
    { name: 'cdc', secretId: 'prod/cdc', expectTrade: true },
    { name: 'reporting', secretId: 'prod/cdc-reporting', expectTrade: false },
    { name: 'byArn', secretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/other-Zz9Yy8', expectTrade: true },
    { name: 'byPartialArn', secretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/partial', expectTrade: true },
  ];
  const arn = (name: string, suffix = 'AbCdEf') => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-${suffix}`;

  it('never confuses prod/cdc with prod/cdc-reporting, whichever is listed first', () => {
    expect(keyForSecret(keys, arn('prod/cdc-reporting'))?.name).toBe('reporting');
    expect(keyForSecret(keys, arn('prod/cdc'))?.name).toBe('cdc');
    expect(keyForSecret([...keys].reverse(), arn('prod/cdc'))?.name).toBe('cdc');
  });

  it('matches a full ARN exactly, an ARN without suffix, or a name — nothing looser', () => {
    expect(keyForSecret(keys, arn('prod/other', 'Zz9Yy8'))?.name).toBe('byArn');
    expect(keyForSecret(keys, arn('prod/other', 'Qq1Ww2'))).toBeUndefined();
    expect(keyForSecret(keys, arn('prod/partial'))?.name).toBe('byPartialArn');
    expect(keyForSecret(keys, arn('prod/cdc-report'))).toBeUndefined();
    expect(keyForSecret(keys, arn('prod'))).toBeUndefined();
  });
});
