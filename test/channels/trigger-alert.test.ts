import { describe, expect, it } from 'vitest';
import { notificationFor } from '../../src/monitor/incident-messages.js';
import type { IncidentEvent } from '../../src/monitor/incident-rules.js';
import { CASES } from './support/cases.js';
import { limitProblems, telegramHtmlProblems, visibleStrings } from './support/inspect.js';
import { NOW_MS } from './support/notifications.js';

/**
 * The "Triggered" fact carries text from the bot's own log (already cut to 120 display-safe
 * characters): every channel shows it as text, escaped by its own rules, within its limits.
 */
const excerpt = '<b>refused</b> *40103* _IP_ `x` @everyone [link](https://evil.example) <script>';

function opened(): ReturnType<typeof notificationFor> {
  const incident = {
    id: 'key:trading:1',
    openedAt: NOW_MS,
    since: NOW_MS,
    diagnosis: 'IP_NOT_WHITELISTED' as const,
    transitions: 1,
    lastNotifiedAt: NOW_MS,
    failedRuns: 1,
    duringMaintenance: false,
  };
  const run = {
    key: 'trading',
    keyPrefix: 'sbxA',
    diagnosis: 'IP_NOT_WHITELISTED' as const,
    code: 40103,
    httpStatus: 401,
    egressIp: '203.0.113.7',
    advice: 'Whitelist 203.0.113.7.',
    facts: [],
    keyAgeDays: null,
    verified: [],
  };
  const event = { kind: 'opened', scope: { type: 'key', key: 'trading' }, incident, run } as unknown as IncidentEvent;
  return notificationFor(event, NOW_MS, {
    source: 'ekm-prod',
    expectedIps: ['203.0.113.7'],
    links: () => [],
    trigger: { kind: 'log', logGroup: '/ecs/trading-bot', at: NOW_MS - 5_000, excerpt },
  });
}

describe('the trigger fact on every channel', () => {
  const n = opened();

  it('says the bot’s line and the monitor’s own verification', () => {
    const fact = n.facts.find((f) => f.label === 'Triggered')?.value ?? '';
    expect(fact).toContain(`your bot logged "${excerpt}"`);
    expect(fact).toMatch(/\(log group \/ecs\/trading-bot\); verified from 203\.0\.113\.7 at \d\d:\d\d:\d\d UTC$/);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s: shown escaped, within the service’s limits', (name, c) => {
    const body = c.make('https://hooks.example.invalid').build(n, NOW_MS).body;
    expect(limitProblems(name, body)).toEqual([]);
    const shown = visibleStrings(JSON.parse(body)).join('\n');
    expect(shown).toContain('verified from 203.0.113.7');
    if (name === 'telegram') expect(telegramHtmlProblems(JSON.parse(body).text)).toEqual([]);
    if (name !== 'webhook' && name !== 'teams') expect(shown).not.toContain('<script>');
    if (name !== 'webhook') expect(shown).not.toMatch(/(^|[^\u200b])@everyone/);
  });

  it('says "an authentication refusal" when the excerpt had to be left out', () => {
    const bare = notificationFor(
      {
        kind: 'opened',
        scope: { type: 'key', key: 'trading' },
        incident: {
          id: 'k',
          openedAt: NOW_MS,
          since: NOW_MS,
          diagnosis: 'AUTH_FAILED',
          transitions: 1,
          lastNotifiedAt: NOW_MS,
          failedRuns: 1,
          duringMaintenance: false,
        },
        run: {
          key: 'trading',
          keyPrefix: null,
          diagnosis: 'AUTH_FAILED',
          code: 40101,
          httpStatus: 401,
          egressIp: null,
          advice: 'x',
          facts: [],
          keyAgeDays: null,
          verified: [],
        },
      } as unknown as IncidentEvent,
      NOW_MS,
      { source: 's', expectedIps: [], links: () => [], trigger: { kind: 'log', logGroup: '/ecs/bot', at: NOW_MS, excerpt: '' } },
    );
    expect(bare.facts.find((f) => f.label === 'Triggered')?.value).toMatch(
      /^your bot logged an authentication refusal at .+; verified from an unknown address at/,
    );
  });
});
