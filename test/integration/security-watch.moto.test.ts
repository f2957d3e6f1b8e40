import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notification } from '../../src/contract/notification.js';
import { loadRuntimeConfig } from '../../src/monitor/runtime-config.js';
import { startSandbox, type Behaviour, type Sandbox } from '../../src/sandbox/exchange.js';
import type { Credentials } from '../../src/monitor/types.js';
import { createStateTable, drainQueue, startMoto, toolMissing, useEmulator, type Moto } from '../support/moto.js';
import { emulatedCheckDeps, emulatedCheckRun } from '../support/emulated-check.js';

/**
 * The security watch on the check Lambda (moto_server for Secrets Manager, DynamoDB and SQS; the
 * sandbox exchange; a clock the test moves): money that leaves an account between two runs, a market
 * that falls, and orders the bot did not place, as they reach the notification queue.
 */
const skip = toolMissing('moto_server');
const MIN = 60_000;

describe.skipIf(skip)('the security watch tells the operator when money or orders move that the bot did not move', () => {
  let moto: Moto;
  let sandbox: Sandbox;
  let sqs: SQSClient;
  let queueUrl: string;
  let clock = Date.UTC(2026, 11, 1, 10, 2, 0);
  let invoke: () => Promise<{ docs: Record<string, unknown>[]; raw: string }>;
  const keys = new Map<string, Credentials>();

  beforeAll(async () => {
    [moto, sandbox] = await Promise.all([startMoto(), startSandbox()]);
    useEmulator(moto.endpoint);
    const sm = new SecretsManagerClient({});
    sqs = new SQSClient({});
    await createStateTable('sec-state');
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'sec-notifications' }))).QueueUrl as string;
    const behaviours: [string, Behaviour][] = [
      ['drained', 'healthy'],
      ['crashed', 'healthy'],
      ['trader', 'open-exposure'],
      ['unwatched', 'healthy'],
      ['vault', 'healthy'],
      ['payout', 'healthy'],
      ['sub', 'sub-account'],
      ['refused', 'withdrawal-history-refused'],
    ];
    for (const [name, behaviour] of behaviours) {
      const creds = sandbox.mint(behaviour);
      keys.set(name, creds);
      await sm.send(new CreateSecretCommand({ Name: `sec/${name}`, SecretString: JSON.stringify(creds) }));
    }
    const config = loadRuntimeConfig({
      ...process.env,
      MONITORED_KEYS: JSON.stringify([
        { name: 'drained', secretId: 'sec/drained', expectTrade: true },
        { name: 'crashed', secretId: 'sec/crashed', expectTrade: true },
        { name: 'trader', secretId: 'sec/trader', expectTrade: true, botClientOidPrefix: 'bot-7f3a-' },
        { name: 'unwatched', secretId: 'sec/unwatched', expectTrade: true, securityWatch: false },
        { name: 'vault', secretId: 'sec/vault', expectTrade: true },
        { name: 'payout', secretId: 'sec/payout', expectTrade: true, allowedWithdrawalClientWidPrefix: 'payout-' },
        { name: 'sub', secretId: 'sec/sub', expectTrade: true },
        { name: 'refused', secretId: 'sec/refused', expectTrade: true },
      ]),
      EXCHANGE_BASE_URL: sandbox.baseUrl(),
      IP_ECHO_URL: sandbox.ipEchoUrl,
      EXPECTED_EGRESS_IP: '203.0.113.7',
      CHECK_TIMEOUT_MS: '1000',
    });
    const run = emulatedCheckRun(
      emulatedCheckDeps(config, () => clock, { table: 'sec-state', queueUrl, sqs, source: 'SecurityTest', remindEveryMs: 60 * MIN }),
    );
    invoke = async () => {
      const out = await run();
      logs.push(out.raw);
      return out;
    };
    firstRun = clock;
    await invoke();
  });
  let firstRun = 0;
  const logs: string[] = [];
  const everything: Notification[] = [];

  afterAll(async () => {
    await Promise.all([moto?.stop(), sandbox?.close()]);
  });

  const drain = async () => {
    const got = await drainQueue<Notification>(sqs, queueUrl);
    everything.push(...got);
    return got;
  };
  const about = (name: string, list: Notification[]) => list.filter((n) => (n.scope as { key?: string }).key === name);
  const become = (name: string, behaviour: Behaviour) => sandbox.setBehaviour(keys.get(name)!.apiKey, behaviour);

  it('says nothing on steady runs', async () => {
    clock += 5 * MIN;
    await invoke();
    expect(await drain()).toEqual([]);
  });

  it('a 40 % drop of the quantities is one warning with before and after; prices that halve with the same quantities are nothing', async () => {
    become('drained', 'funds-dropped');
    become('crashed', 'prices-halved');
    become('unwatched', 'funds-dropped');
    clock += 5 * MIN;
    await invoke();
    const sent = await drain();
    expect(about('crashed', sent)).toEqual([]);
    expect(about('unwatched', sent)).toEqual([]);
    const [warning, ...more] = about('drained', sent);
    expect(more).toEqual([]);
    expect(warning?.kind).toBe('opened');
    expect(warning?.severity).toBe('warning');
    expect(warning?.subject).toContain('drained: Money or assets left the account');
    expect(warning?.summary).toContain("drained: The account's value fell 40.0 % ($7,435.42)");
    const fact = (label: string) => warning?.facts.find((f) => f.label === label)?.value;
    expect(fact('Before')).toBe('18 balances, total $18,588.54 at 2026-12-01 10:07 UTC ($18,588.55 at the newer prices)');
    expect(fact('After')).toBe('18 balances, total $11,153.13 at 2026-12-01 10:12 UTC');
    expect(fact('Changed')).toMatch(/^CRO 24,422.72427884 → 14,653.6345673 \(−\$1,910.45\); BTC 0.0412 → 0.02472 \(−\$1,605.49\);.* and 5 more$/);
    expect(warning?.fix).toContain('rotate');
  });

  it('the same drop is not reported again, and a healthy run does not close the security incident', async () => {
    clock += 5 * MIN;
    await invoke();
    expect(await drain()).toEqual([]);
  });

  it('an order without the bot’s client_oid prefix is a warning naming it, once', async () => {
    become('trader', 'foreign-orders');
    clock += 5 * MIN;
    await invoke();
    const [warning, ...more] = about('trader', await drain());
    expect(more).toEqual([]);
    expect(warning?.subject).toContain('trader: Orders your bot did not place');
    expect(warning?.facts.find((f) => f.label === 'Orders')?.value).toBe('CRO_USD SELL 24000 [x-web-1764900300]');
    clock += 5 * MIN;
    await invoke();
    expect(about('trader', await drain())).toEqual([]);
  });

  const history = (name: string) => sandbox.requests.filter((r) => r.method === 'private/get-withdrawal-history' && r.apiKey === keys.get(name)?.apiKey);

  it('a withdrawal made on the account between two looks is one critical alert, not repeated; an allowed one and older ones are not alerts', async () => {
    const w = { currency: 'BTC', amount: 0.5, address: 'bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh?tag=1', network_id: 'BTC', status: '5' };
    // Made before the watch began: not reported.
    sandbox.recordWithdrawal(keys.get('vault')!.apiKey, { ...w, id: 'old-1', create_time: firstRun - 60 * MIN });
    sandbox.recordWithdrawal(keys.get('vault')!.apiKey, { ...w, id: 'w-77', client_wid: 'manual', create_time: clock + MIN });
    sandbox.recordWithdrawal(keys.get('payout')!.apiKey, { ...w, id: 'w-78', client_wid: 'payout-2026-12', create_time: clock + MIN });
    clock += 61 * MIN;
    await invoke();
    const sent = await drain();
    expect(about('payout', sent)).toEqual([]);
    const [alert, ...more] = about('vault', sent);
    expect(more).toEqual([]);
    expect(alert?.severity).toBe('critical');
    expect(alert?.subject).toBe('🔴 vault: A withdrawal left the account — rotate the key now if you did not make it');
    expect(alert?.facts.slice(1, 6)).toEqual([
      { label: 'Withdrawal', value: '0.5 BTC on BTC' },
      { label: 'To', value: 'bc1qxy…0wlh' },
      { label: 'Status', value: 'completed' },
      { label: 'Time', value: new Date(clock - 60 * MIN).toISOString().slice(0, 16).replace('T', ' ') + ' UTC' },
      { label: 'client_wid', value: 'manual' },
    ]);
    expect(JSON.stringify(alert)).not.toContain('2kgdygjrsqtzq2n0yrf2493p83kkfjh');
    const [read] = history('vault').slice(-1);
    expect(Object.keys(read?.params as object).sort()).toEqual(['end_ts', 'page_size', 'start_ts']);
    clock += 61 * MIN;
    await invoke();
    expect(about('vault', await drain()).filter((n) => n.kind !== 'reminder')).toEqual([]);
    expect(history('vault').length).toBeGreaterThanOrEqual(2);
  });

  it('on a sub-account key the history is not read and the log says why, once; a refused read is "not determined", said once', async () => {
    // The runs above made two hourly looks.
    expect(history('sub')).toEqual([]);
    expect(history('refused').length).toBe(2);
    expect(logs.join('').match(/security watch: withdrawal history not read[^\n]*"key":"sub"/g)).toHaveLength(1);
    const notices = about('refused', everything).filter((n) => n.kind !== 'reminder');
    expect(notices.map((n) => n.subject)).toEqual([
      '🟠 refused: The withdrawal watch could not read the history — withdrawals on this account are not watched',
    ]);
    expect(notices[0]?.facts).toContainEqual({ label: 'Refused', value: 'HTTP 401, code 40101 Authentication failure' });
  });
});
