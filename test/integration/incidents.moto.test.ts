import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Notification } from '../../src/contract/notification.js';
import { DynamoIncidentStore } from '../../src/aws/incident-store.js';
import { notificationLinks } from '../../src/monitor/links.js';
import { parseAnnouncements } from '../../src/monitor/maintenance.js';
import { loadRuntimeConfig } from '../../src/monitor/runtime-config.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/exchange.js';
import type { Credentials } from '../../src/monitor/types.js';
import { drainQueue, startMoto, toolMissing, useEmulator, type Moto, createStateTable } from '../support/moto.js';
import { emulatedCheckDeps, emulatedCheckRun } from '../support/emulated-check.js';

/**
 * The check Lambda end to end, through incidents: the real handler, Secrets Manager, DynamoDB and
 * SQS on moto_server, the exchange on the loopback sandbox, and a clock the test moves.
 */
const skip = toolMissing('moto_server');
const MIN = 60_000;

describe.skipIf(skip)('incidents from the check Lambda: moto_server store and queue, sandbox exchange, a moving clock', () => {
  let moto: Moto;
  let sandbox: Sandbox;
  let sqs: SQSClient;
  let queueUrl: string;
  let clock = Date.UTC(2026, 11, 1, 10, 0, 0);
  let invoke: () => Promise<{ raw: string }>;
  /** The same deployment after a configuration change that keeps only `names`. */
  let invokeWith: (names: string[]) => Promise<{ raw: string }>;
  const keys = new Map<string, Credentials>();
  let everything = '';

  beforeAll(async () => {
    [moto, sandbox] = await Promise.all([startMoto(), startSandbox()]);
    useEmulator(moto.endpoint);
    const sm = new SecretsManagerClient({});
    sqs = new SQSClient({});
    await createStateTable('ekm-state');
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'ekm-notifications' }))).QueueUrl as string;
    for (const [name, behaviour] of [
      ['trading', 'healthy'],
      ['reporting', 'read-only'],
      ['bot3', 'healthy'],
    ] as const) {
      const creds = sandbox.mint(behaviour);
      keys.set(name, creds);
      await sm.send(new CreateSecretCommand({ Name: `inc/${name}`, SecretString: JSON.stringify(creds) }));
    }
    const allKeys = [
      { name: 'trading', secretId: 'inc/trading', expectTrade: true },
      { name: 'reporting', secretId: 'inc/reporting', expectTrade: false },
      { name: 'bot3', secretId: 'inc/bot3', expectTrade: true },
    ];
    const handlerFor = (monitored: typeof allKeys) => {
      const config = loadRuntimeConfig({
        ...process.env,
        MONITORED_KEYS: JSON.stringify(monitored),
        EXCHANGE_BASE_URL: sandbox.baseUrl(),
        IP_ECHO_URL: sandbox.ipEchoUrl,
        EXPECTED_EGRESS_IP: '203.0.113.7',
        CHECK_TIMEOUT_MS: '1000',
        // Every probe on every run: these tests are about the incident rules (the cadence has its own tests below).
        SPACED_PROBE_MINUTES: '0',
      });
      const deps = emulatedCheckDeps(config, () => clock, {
        table: 'ekm-state',
        queueUrl,
        sqs,
        source: 'IncidentTest',
        links: (key) => notificationLinks({ region: 'us-east-1', dashboardUrl: 'https://console.test/dash', checkLogGroup: '/aws/lambda/check' }, key),
        maintenance: {
          windows: async () => {
            const { text } = await deps.target.exchange.getText(`${sandbox.announcementsUrl}?category=system`);
            return parseAnnouncements(text, clock) ?? [];
          },
        },
      });
      return emulatedCheckRun(deps);
    };
    const run = handlerFor(allKeys);
    invoke = async () => {
      const out = await run();
      everything += out.raw;
      return out;
    };
    invokeWith = async (names) => {
      const out = await handlerFor(allKeys.filter((k) => names.includes(k.name)))();
      everything += out.raw;
      return out;
    };
  });

  afterAll(async () => {
    await Promise.all([moto?.stop(), sandbox?.close()]);
  });

  beforeEach(async () => {
    await drain();
  });

  /** Every notification the runs enqueued since the last call, oldest first. */
  async function drain(): Promise<Notification[]> {
    const got = await drainQueue<Notification>(sqs, queueUrl, (body) => {
      everything += body;
    });
    return got.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
  }

  async function runAt(minutes: number): Promise<Notification[]> {
    clock += minutes * MIN;
    await invoke();
    return drain();
  }

  it('fail, fail, recover: exactly one opened and one resolved notification, with the right duration', async () => {
    expect(await runAt(5)).toEqual([]); // all healthy: nothing to say
    sandbox.setBehaviour(keys.get('trading')!.apiKey, 'ip-not-whitelisted');
    const opened = await runAt(5);
    expect(opened.map((n) => [n.kind, n.subject])).toEqual([['opened', '🔴 trading: IP not whitelisted (40103) — add 203.0.113.7 to the key']]);
    expect(opened[0]?.fix).toContain('Add 203.0.113.7 to the key’s IP whitelist');
    expect(opened[0]?.facts).toEqual(
      expect.arrayContaining([
        { label: 'Exchange code', value: '40103' },
        { label: 'HTTP status', value: '401' },
      ]),
    );
    expect(opened[0]?.links.map((l) => l.label)).toEqual(['Dashboard', 'Log for trading']);
    expect(await runAt(5)).toEqual([]);
    sandbox.setBehaviour(keys.get('trading')!.apiKey, 'healthy');
    const resolved = await runAt(5);
    expect(resolved.map((n) => [n.kind, n.subject])).toEqual([
      ['resolved', '✅ trading: resolved after 10 min, 2 failed runs — was IP not whitelisted (40103)'],
    ]);
    expect(resolved[0]?.id.split('#')[0]).toBe(opened[0]?.id.split('#')[0]);
  });

  it('reminds when the clock passes the interval, saying for how long', async () => {
    sandbox.setBehaviour(keys.get('bot3')!.apiKey, 'read-only');
    expect((await runAt(5)).map((n) => n.kind)).toEqual(['opened']);
    expect(await runAt(120)).toEqual([]);
    const reminder = await runAt(125);
    expect(reminder.map((n) => n.subject)).toEqual(['🔴 bot3: still failing after 4 h 5 min — Key cannot trade (reads work, writes fail with 40101)']);
    sandbox.setBehaviour(keys.get('bot3')!.apiKey, 'healthy');
    expect((await runAt(5)).map((n) => n.kind)).toEqual(['resolved']);
  });

  it('opens one monitor-level incident when every key fails for one shared cause, and resolves it once', async () => {
    sandbox.outage('unavailable');
    expect(await runAt(5)).toEqual([]); // transient: waits for a second run
    const opened = await runAt(5);
    expect(opened.map((n) => [n.kind, n.scope.type, n.subject])).toEqual([
      ['opened', 'monitor', '🟠 all 3 keys: Exchange or network unavailable — exchange or network side, no key action'],
    ]);
    expect(await runAt(5)).toEqual([]);
    sandbox.outage(null);
    expect((await runAt(5)).map((n) => [n.kind, n.scope.type])).toEqual([['resolved', 'monitor']]);
  });

  it('two overlapping runs cannot open the same incident twice (conditional writes)', async () => {
    sandbox.setBehaviour(keys.get('trading')!.apiKey, 'bad-secret');
    sandbox.revoke(keys.get('trading')!.apiKey);
    clock += 5 * MIN;
    await Promise.all([invoke(), invoke()]);
    const sent = await drain();
    // One incident, one id. The second run may carry the first one's outbox along before it is
    // cleared (enqueued twice, same id): the notifier sends each id once per channel (its ledger).
    expect(new Set(sent.filter((n) => n.kind === 'opened').map((n) => n.id)).size).toBe(1);
    expect(sent[0]?.subject).toContain('trading: Authentication failure');
  });

  it('holds what announced maintenance could cause, then says it began during the maintenance', async () => {
    const reporting = keys.get('reporting')!;
    sandbox.announce({
      id: 'mx-1',
      category: 'system',
      title: 'Exchange upgrade',
      start_time: clock + 10 * MIN,
      end_time: clock + 70 * MIN,
      impacted_params: { spot_trading_impacted: 'PARTIAL' },
    });
    // Announcements are read at most hourly: the next run past the hour sees this one.
    const announced = (await runAt(61)).filter((n) => n.kind === 'maintenance');
    expect(announced).toHaveLength(1);
    expect(announced[0]?.facts).toContainEqual({ label: 'Impacted', value: 'spot trading: PARTIAL' });
    sandbox.setBehaviour(reporting.apiKey, 'ip-not-whitelisted');
    clock = Date.parse(announced[0]!.facts[0]!.value.split(' – ')[0]!.replace(' UTC', 'Z').replace(' ', 'T')) + 5 * MIN;
    await invoke();
    expect((await drain()).filter((n) => n.scope.type === 'key' && n.scope.key === 'reporting')).toEqual([]);
    const after = await runAt(70);
    const reportingNotes = after.filter((n) => n.scope.type === 'key' && n.scope.key === 'reporting');
    expect(reportingNotes.map((n) => n.kind)).toEqual(['opened']);
    expect(reportingNotes[0]?.summary).toContain('during announced exchange maintenance');
  });

  it('probes withdraw permission at most once a day per key, and keeps a key that can withdraw failing in between', async () => {
    const probes = () => sandbox.requests.filter((r) => r.method === 'private/get-deposit-address').length;
    sandbox.setBehaviour(keys.get('bot3')!.apiKey, 'withdraw-enabled');
    // The last probe of bot3 was when the test started; move past a day so it is due again.
    clock += 24 * 60 * MIN;
    const before = probes();
    const opened = await runAt(5);
    // Due again after a day (keys whose read fails in this run are not probed at all).
    expect(probes() - before).toBeGreaterThanOrEqual(1);
    expect(opened.filter((n) => n.kind === 'opened').map((n) => n.subject)).toEqual([
      '🔴 bot3: The key can withdraw funds — untick "Enable withdrawal" on the key',
    ]);
    const between = probes();
    const bot3 = (ns: Notification[]) => ns.filter((n) => n.scope.type === 'key' && n.scope.key === 'bot3').map((n) => n.kind);
    for (let i = 0; i < 3; i++) expect(bot3(await runAt(60))).toEqual([]); // no probe, no resolve: the verdict carries
    expect(probes()).toBe(between);
    sandbox.setBehaviour(keys.get('bot3')!.apiKey, 'healthy');
    expect(bot3(await runAt(24 * 60))).toEqual(['resolved']);
  });

  it('closes the open incident of a key removed from the configuration, saying so (not "healthy again"), once', async () => {
    sandbox.revoke((keys.get('bot3') as Credentials).apiKey);
    clock += 5 * MIN;
    await invoke();
    expect((await drain()).map((n) => n.subject)).toEqual(['🔴 bot3: Authentication failure (40101 / HTTP 401) — key revoked, expired or secret wrong']);
    clock += 5 * MIN;
    await invokeWith(['trading', 'reporting']);
    const [closed, ...more] = await drain();
    expect(more).toEqual([]);
    expect(closed?.subject).toBe('ℹ️ bot3: closed, no longer monitored — was Authentication failure (40101 / HTTP 401) for 5 min');
    expect(closed?.summary).toContain('removed from the monitor');
    expect(closed?.summary).not.toContain('healthy');
    const store = new DynamoIncidentStore(new DynamoDBClient({}), 'ekm-state', 30, () => clock);
    expect(await store.knownKeys()).toEqual(['trading', 'reporting']);
    clock += 5 * MIN;
    await invokeWith(['trading', 'reporting']);
    expect(await drain()).toEqual([]);
  });

  it('never puts a secret, a signature or a full key in a notification or a log line', () => {
    expect(everything.length).toBeGreaterThan(1000);
    for (const { apiKey, apiSecret } of keys.values()) {
      expect(everything).not.toContain(apiSecret);
      expect(everything).not.toContain(apiKey);
    }
    const sigs = sandbox.requests.map((r) => r.sig).filter((s): s is string => typeof s === 'string');
    expect(sigs.length).toBeGreaterThan(10);
    for (const sig of sigs) expect(everything).not.toContain(sig);
  });
});

describe.skipIf(skip)('no "resolved" from an answer that proves nothing: the check Lambda on moto_server, the sandbox exchange, a moving clock', () => {
  let moto: Moto;
  let sandbox: Sandbox;
  let sqs: SQSClient;
  let queueUrl: string;
  let clock = Date.UTC(2026, 11, 1, 10, 0, 0);
  let invoke: () => Promise<unknown>;
  const keys = new Map<string, Credentials>();

  beforeAll(async () => {
    [moto, sandbox] = await Promise.all([startMoto(), startSandbox()]);
    useEmulator(moto.endpoint);
    const sm = new SecretsManagerClient({});
    sqs = new SQSClient({});
    await createStateTable('rc-state');
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'rc-notifications' }))).QueueUrl as string;
    for (const name of ['wallet', 'spot']) {
      const creds = sandbox.mint('healthy');
      keys.set(name, creds);
      await sm.send(new CreateSecretCommand({ Name: `rc/${name}`, SecretString: JSON.stringify(creds) }));
    }
    const config = loadRuntimeConfig({
      ...process.env,
      MONITORED_KEYS: JSON.stringify([
        { name: 'wallet', secretId: 'rc/wallet', expectTrade: true },
        { name: 'spot', secretId: 'rc/spot', expectTrade: true },
      ]),
      EXCHANGE_BASE_URL: sandbox.baseUrl(),
      IP_ECHO_URL: sandbox.ipEchoUrl,
      EXPECTED_EGRESS_IP: '203.0.113.7',
      CHECK_TIMEOUT_MS: '1000',
      SPACED_PROBE_MINUTES: '0',
    });
    invoke = emulatedCheckRun(emulatedCheckDeps(config, () => clock, { table: 'rc-state', queueUrl, sqs, source: 'RecheckTest' }));
    await invoke(); // the first run: both keys healthy, every withdraw verdict fresh
  });

  afterAll(async () => {
    await Promise.all([moto?.stop(), sandbox?.close()]);
  });

  async function runAt(minutes: number): Promise<Notification[]> {
    clock += minutes * MIN;
    await invoke();
    const got: Notification[] = [];
    for (;;) {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (!out.Messages?.length) break;
      for (const m of out.Messages) {
        got.push(JSON.parse(m.Body ?? '{}') as Notification);
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
      }
    }
    return got.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
  }
  const about = (key: string, ns: Notification[]) => ns.filter((n) => n.scope.type === 'key' && n.scope.key === key);
  const probes = () => sandbox.requests.filter((r) => r.method === 'private/get-deposit-address').length;

  it('a key that can withdraw, whose daily probe answers 503 once: no "resolved", the incident stays, and the next run probes again', async () => {
    const wallet = keys.get('wallet')!.apiKey;
    sandbox.setBehaviour(wallet, 'withdraw-enabled');
    clock += 24 * 60 * MIN; // the first run's verdict ("cannot") is a day old: probe due
    const opened = about('wallet', await runAt(5));
    expect(opened.map((n) => n.subject)).toEqual(['🔴 wallet: The key can withdraw funds — untick "Enable withdrawal" on the key']);

    sandbox.setBehaviour(wallet, 'withdraw-probe-unavailable');
    let before = probes();
    const day = about('wallet', await runAt(24 * 60));
    expect(probes()).toBeGreaterThan(before);
    expect(day.map((n) => n.kind)).not.toContain('resolved');
    expect(day.map((n) => n.kind)).toEqual(['reminder']);
    const seen = day[0]?.facts.find((f) => f.label === 'Seen')?.value ?? '';
    expect(seen).toMatch(/^withdraw-permission: the key can withdraw funds \(the last definite probe, 24 h ago\); could not re-check: probe: HTTP 503/);

    before = probes();
    expect(about('wallet', await runAt(5))).toEqual([]);
    expect(probes()).toBeGreaterThan(before); // re-probed on the very next run, not a day later

    sandbox.setBehaviour(wallet, 'healthy');
    const resolved = about('wallet', await runAt(5));
    expect(resolved.map((n) => n.kind)).toEqual(['resolved']);
    expect(resolved[0]?.id.split('#')[0]).toBe(opened[0]?.id.split('#')[0]);
  });

  it('an account read that fails (500) never resolves a suspension, and the next good read is the same incident, not a new one', async () => {
    const spot = keys.get('spot')!.apiKey;
    sandbox.setBehaviour(spot, 'account-suspended');
    const opened = about('spot', await runAt(5));
    expect(opened.map((n) => n.subject)).toEqual(['🔴 spot: The account is suspended (202) — the account behind the key is suspended']);

    sandbox.setBehaviour(spot, 'accounts-unavailable');
    expect(about('spot', await runAt(5))).toEqual([]);
    expect(about('spot', await runAt(5))).toEqual([]);
    sandbox.setBehaviour(spot, 'account-suspended');
    expect(about('spot', await runAt(5))).toEqual([]);

    sandbox.setBehaviour(spot, 'accounts-without-flags');
    const reminder = about('spot', await runAt(4 * 60));
    expect(reminder.map((n) => n.subject)).toEqual([
      expect.stringMatching(/^🔴 spot: open for 4 h \d+ min, could not re-check — The account is suspended \(202\)$/),
    ]);
    expect(reminder[0]?.summary).toMatch(
      /could not re-check: account: account details incomplete: the answer has no terminated, suspended, enabled, tradable .*; last definite verdict ACCOUNT_SUSPENDED \(The account is suspended \(202\)\) at /,
    );

    sandbox.setBehaviour(spot, 'healthy');
    const resolved = about('spot', await runAt(5));
    expect(resolved.map((n) => n.kind)).toEqual(['resolved']);
    expect(resolved[0]?.id.split('#')[0]).toBe(opened[0]?.id.split('#')[0]);
  });

  it('with the egress IP whitelisted, an IP echo answering garbage is "egress not verified", never the end of a mismatch', async () => {
    sandbox.setIpEcho('other-ip');
    const opened = await runAt(5);
    expect(opened.map((n) => [n.kind, n.scope.type, n.subject])).toEqual([
      ['opened', 'monitor', '🔴 all 2 keys: Requests do not leave through the whitelisted IP — traffic leaves from 198.51.100.23, not 203.0.113.7'],
    ]);
    sandbox.setIpEcho('garbage');
    const garbage = await runAt(5);
    expect(garbage.map((n) => n.kind)).not.toContain('resolved');
    expect(garbage.map((n) => [n.kind, n.subject])).toEqual([['changed', '🟠 all 2 keys: now Egress IP not verified — the IP echo did not answer with an IP']]);
    sandbox.setIpEcho('ip');
    const back = await runAt(5);
    expect(back.map((n) => [n.kind, n.scope.type])).toEqual([['resolved', 'monitor']]);
    expect(back[0]?.id.split('#')[0]).toBe(opened[0]?.id.split('#')[0]);
  });
});

describe.skipIf(skip)('probe cadence: the check Lambda on moto_server, the sandbox exchange, a moving clock', () => {
  let moto: Moto;
  let sandbox: Sandbox;
  let sqs: SQSClient;
  let queueUrl: string;
  let sm: SecretsManagerClient;
  let clock = Date.UTC(2026, 11, 1, 10, 2, 0);
  let invoke: () => Promise<{ docs: Record<string, unknown>[] }>;
  const keys = new Map<string, Credentials>();
  const NAMES = ['alpha', 'bravo', 'charlie', 'delta'];

  beforeAll(async () => {
    [moto, sandbox] = await Promise.all([startMoto(), startSandbox()]);
    useEmulator(moto.endpoint);
    sm = new SecretsManagerClient({});
    sqs = new SQSClient({});
    await createStateTable('cad-state');
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'cad-notifications' }))).QueueUrl as string;
    for (const name of NAMES) {
      const creds = sandbox.mint('healthy');
      keys.set(name, creds);
      await sm.send(new CreateSecretCommand({ Name: `cad/${name}`, SecretString: JSON.stringify(creds) }));
    }
    // The deployed default: no SPACED_PROBE_MINUTES, so a healthy key's trade probe and account read run every 3 hours.
    const config = loadRuntimeConfig({
      ...process.env,
      MONITORED_KEYS: JSON.stringify(NAMES.map((name) => ({ name, secretId: `cad/${name}`, expectTrade: true }))),
      EXCHANGE_BASE_URL: sandbox.baseUrl(),
      IP_ECHO_URL: sandbox.ipEchoUrl,
      EXPECTED_EGRESS_IP: '203.0.113.7',
      CHECK_TIMEOUT_MS: '1000',
    });
    expect(config.spacedProbeMs).toBe(180 * MIN);
    invoke = emulatedCheckRun(emulatedCheckDeps(config, () => clock, { table: 'cad-state', queueUrl, sqs, source: 'CadenceTest' }));
  });

  afterAll(async () => {
    await Promise.all([moto?.stop(), sandbox?.close()]);
  });

  const sent = (method: string, name: string) => sandbox.requests.filter((r) => r.method === method && r.apiKey === keys.get(name)?.apiKey).length;

  const drain = () => drainQueue<Notification>(sqs, queueUrl);

  it('a healthy key: the balance read every run, the trade probe and account read once every 3 hours at its own slot, said as carried in between', async () => {
    sandbox.requests.length = 0;
    await invoke(); // first run: everything, for every key
    for (const name of NAMES) expect([sent('private/cancel-order', name), sent('private/get-accounts', name)], name).toEqual([1, 1]);
    sandbox.requests.length = 0;
    let carriedLines = 0;
    for (let i = 0; i < 36; i++) {
      clock += 5 * MIN;
      const { docs } = await invoke();
      carriedLines += docs.filter(
        (d) => d['message'] === 'key healthy' && String((d['checks'] as Record<string, string>)['trade-permission']).includes('carried from'),
      ).length;
    }
    // 36 runs make three hours: each key's balance read 36 times, its trade probe and account read once.
    for (const name of NAMES) {
      expect(sent('private/user-balance', name), name).toBe(36);
      expect([sent('private/cancel-order', name), sent('private/get-accounts', name)], name).toEqual([1, 1]);
    }
    expect(carriedLines).toBe(35 * NAMES.length);
    expect(await drain()).toEqual([]);
  });

  it('a key that loses Trade is found at its slot at the latest, probed on every run while the incident is open, and resolved only by a probe', async () => {
    sandbox.setBehaviour(keys.get('bravo')!.apiKey, 'read-only');
    let opened: Notification[] = [];
    let runs = 0;
    while (opened.length === 0 && runs < 37) {
      clock += 5 * MIN;
      runs++;
      await invoke();
      opened = (await drain()).filter((n) => n.kind === 'opened');
    }
    expect(runs).toBeLessThanOrEqual(36);
    expect(opened.map((n) => n.subject)).toEqual([expect.stringContaining('bravo: Key cannot trade')]);
    sandbox.requests.length = 0;
    for (let i = 0; i < 3; i++) {
      clock += 5 * MIN;
      await invoke();
    }
    expect(sent('private/cancel-order', 'bravo')).toBe(3);
    expect(await drain()).toEqual([]);
    sandbox.setBehaviour(keys.get('bravo')!.apiKey, 'healthy');
    sandbox.requests.length = 0;
    clock += 5 * MIN;
    await invoke();
    expect(sent('private/cancel-order', 'bravo')).toBe(1);
    expect((await drain()).map((n) => n.kind)).toEqual(['resolved']);
  });

  it('a key replaced by hand (put-secret-value) gets every probe on the next run: a new key that cannot trade or can withdraw is found at once, not at its slot', async () => {
    // The old keys have been checked: their answers are carried until their slots.
    for (let i = 0; i < 2; i++) {
      clock += 5 * MIN;
      await invoke();
    }
    await drain();
    const noTrade = sandbox.mint('read-only');
    const canWithdraw = sandbox.mint('withdraw-enabled');
    await sm.send(new PutSecretValueCommand({ SecretId: 'cad/charlie', SecretString: JSON.stringify(noTrade) }));
    await sm.send(new PutSecretValueCommand({ SecretId: 'cad/delta', SecretString: JSON.stringify(canWithdraw) }));
    sandbox.requests.length = 0;
    clock += 5 * MIN;
    await invoke();
    const by = (c: Credentials, method: string) => sandbox.requests.filter((r) => r.method === method && r.apiKey === c.apiKey).length;
    expect(by(noTrade, 'private/cancel-order')).toBe(1);
    expect(by(canWithdraw, 'private/get-deposit-address')).toBe(1);
    const opened: Notification[] = [];
    for (let i = 0; i < 2; i++) {
      if (i > 0) {
        clock += 5 * MIN;
        await invoke();
      }
      opened.push(...(await drain()).filter((n) => n.kind === 'opened'));
    }
    expect(opened.map((n) => n.subject).sort()).toEqual([expect.stringContaining('charlie: Key cannot trade'), expect.stringContaining('delta: ')]);
  });
});
