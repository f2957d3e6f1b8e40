import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notification } from '../../src/contract/notification.js';
import { loadRuntimeConfig } from '../../src/monitor/runtime-config.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/exchange.js';
import type { Credentials } from '../../src/monitor/types.js';
import { createStateTable, drainQueue, startMoto, toolMissing, useEmulator, type Moto } from '../support/moto.js';
import { emulatedCheckDeps, emulatedCheckRun } from '../support/emulated-check.js';

/**
 * What is at risk, in the alert: the check Lambda on moto_server (Secrets Manager, DynamoDB, SQS) with
 * the sandbox exchange and a clock the test moves. A key's last good check reads what is open on its
 * account; when the key stops working, every alert about it says what was open and as of when.
 */
const skip = toolMissing('moto_server');
const MIN = 60_000;

describe.skipIf(skip)('alerts about a key that cannot trade say what was open on the account', () => {
  let moto: Moto;
  let sandbox: Sandbox;
  let sqs: SQSClient;
  let queueUrl: string;
  const start = Date.UTC(2026, 11, 1, 10, 2, 0);
  let clock = start;
  let invoke: () => Promise<{ docs: Record<string, unknown>[]; raw: string }>;
  const keys = new Map<string, Credentials>();

  beforeAll(async () => {
    [moto, sandbox] = await Promise.all([startMoto(), startSandbox()]);
    useEmulator(moto.endpoint);
    const sm = new SecretsManagerClient({});
    sqs = new SQSClient({});
    await createStateTable('exp-state');
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'exp-notifications' }))).QueueUrl as string;
    for (const [name, behaviour] of [
      ['trader', 'open-exposure'],
      ['idle', 'healthy'],
    ] as const) {
      const creds = sandbox.mint(behaviour);
      keys.set(name, creds);
      await sm.send(new CreateSecretCommand({ Name: `exp/${name}`, SecretString: JSON.stringify(creds) }));
    }
    const config = loadRuntimeConfig({
      ...process.env,
      MONITORED_KEYS: JSON.stringify([...keys.keys()].map((name) => ({ name, secretId: `exp/${name}`, expectTrade: true }))),
      EXCHANGE_BASE_URL: sandbox.baseUrl(),
      IP_ECHO_URL: sandbox.ipEchoUrl,
      EXPECTED_EGRESS_IP: '203.0.113.7',
      CHECK_TIMEOUT_MS: '1000',
    });
    invoke = emulatedCheckRun(emulatedCheckDeps(config, () => clock, { table: 'exp-state', queueUrl, sqs, source: 'ExposureTest', remindEveryMs: 60 * MIN }));
  });

  afterAll(async () => {
    await Promise.all([moto?.stop(), sandbox?.close()]);
  });

  const sent = (method: string, name: string) => sandbox.requests.filter((r) => r.method === method && r.apiKey === keys.get(name)?.apiKey).length;
  const atRisk = (n: Notification | undefined) => n?.summary.split('\n\nOpen on the account: ')[1];

  const drain = () => drainQueue<Notification>(sqs, queueUrl);

  it('reads open orders and positions only where the balance shows something in use, and not again while it stays the same', async () => {
    sandbox.requests.length = 0;
    await invoke();
    expect([sent('private/get-open-orders', 'trader'), sent('private/get-positions', 'trader')]).toEqual([1, 1]);
    expect([sent('private/get-open-orders', 'idle'), sent('private/get-positions', 'idle')]).toEqual([0, 0]);
    for (let i = 0; i < 5; i++) {
      clock += 5 * MIN;
      await invoke();
    }
    // Six runs within the hour, the same funds reserved: read once.
    expect(sent('private/get-open-orders', 'trader')).toBe(1);
    expect(await drain()).toEqual([]);
  });

  it('an opened alert and its reminder say what was open as of the last good check; the resolved message does not', async () => {
    const lastGood = clock;
    sandbox.setBehaviour(keys.get('trader')!.apiKey, 'ip-not-whitelisted');
    sandbox.setBehaviour(keys.get('idle')!.apiKey, 'ip-not-whitelisted');
    clock += 5 * MIN;
    await invoke();
    const opened = (await drain()).filter((n) => n.kind === 'opened');
    const byKey = (name: string, list: Notification[]) => list.find((n) => (n.scope as { key?: string }).key === name);
    const asOf = new Date(start).toISOString().slice(11, 16);
    expect(atRisk(byKey('trader', opened))).toBe(
      `2 open orders (ETH_USD BUY 2 @ 3,100 [bot-7f3a-buy-eth]; BTC_USD SELL 0.04 @ 97,000 [bot-7f3a-sell-btc]), ` +
        `1 position BTCUSD-PERP −0.1984 (cost $10,159.57, open P/L −$497.74) as of ${asOf} UTC. ` +
        'The bot cannot amend or cancel them with this key; orders resting on the exchange still execute.',
    );
    expect(atRisk(byKey('idle', opened))).toBe(`Nothing open as of ${new Date(lastGood).toISOString().slice(11, 16)} UTC.`);
    expect(JSON.stringify(opened)).not.toContain('6530219599901478');

    clock += 61 * MIN;
    await invoke();
    const reminders = (await drain()).filter((n) => n.kind === 'reminder');
    expect(atRisk(byKey('trader', reminders))).toContain(`2 open orders (ETH_USD BUY 2 @ 3,100`);

    sandbox.setBehaviour(keys.get('trader')!.apiKey, 'open-exposure');
    clock += 5 * MIN;
    await invoke();
    const resolved = (await drain()).filter((n) => n.kind === 'resolved');
    expect(resolved.map((n) => (n.scope as { key?: string }).key)).toContain('trader');
    expect(atRisk(byKey('trader', resolved))).toBeUndefined();
  });

  it('a snapshot stands an hour at most with the default 3-hour probe period: orders the bot did not place are looked for hourly', async () => {
    clock += 5 * MIN;
    await invoke();
    sandbox.requests.length = 0;
    for (let i = 0; i < 12; i++) {
      clock += 5 * MIN;
      await invoke();
    }
    expect(sent('private/get-open-orders', 'trader')).toBe(1);
    expect(sent('private/cancel-order', 'trader')).toBeLessThanOrEqual(1);
  });
});
