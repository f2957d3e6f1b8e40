import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/key-monitor.js';
import type { ExchangeClient } from '../../src/exchange/client.js';
import { checkClient } from '../../src/monitor/check-client.js';
import { loadRuntimeConfig } from '../../src/monitor/runtime-config.js';
import { SqsNotificationQueue } from '../../src/aws/notification-queue.js';
import type { Notification } from '../../src/contract/notification.js';
import { SecretVersions } from '../../src/aws/secret-versions.js';
import { startSandbox, type Behaviour, type Sandbox } from '../../src/sandbox/exchange.js';
import { captureOutput, startMoto, toolMissing, useEmulator, type Moto } from '../support/moto.js';

const skip = toolMissing('moto_server');
const context = {
  functionName: 'rotate',
  awsRequestId: 'req-r',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:rotate',
  memoryLimitInMB: '256',
  functionVersion: '$LATEST',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;
const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;

describe.skipIf(skip)('rotation Lambda: moto_server Secrets Manager + SNS, sandbox exchange', () => {
  let moto: Moto;
  let sandbox: Sandbox;
  let sm: SecretsManagerClient;
  let sqs: SQSClient;
  let queueUrl: string;
  let client: ExchangeClient;
  let handler: ReturnType<typeof import('../../src/handlers/rotate.js').buildRotationHandler>;
  let output = '';
  const secretArns = new Map<string, string>();

  const keyJson = (b: Behaviour) => JSON.stringify(sandbox.credentials(b));

  beforeAll(async () => {
    [moto, sandbox] = await Promise.all([startMoto(), startSandbox()]);
    useEmulator(moto.endpoint);
    sm = new SecretsManagerClient({});
    sqs = new SQSClient({});
    const sns = new SNSClient({});
    const topic = await sns.send(new CreateTopicCommand({ Name: 'alerts' }));
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'inbox' }))).QueueUrl as string;
    const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.['QueueArn'];
    await sns.send(new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: 'sqs', Endpoint: queueArn }));

    const keys = [
      { name: 'trading', secretId: 'rot/trading', expectTrade: true },
      { name: 'reporting', secretId: 'rot/reporting', expectTrade: false },
      { name: 'cli', secretId: 'rot/cli', expectTrade: true },
      // Two secrets whose names share a prefix: each must be judged by its own rules.
      { name: 'cdc', secretId: 'rot/cdc', expectTrade: true },
      { name: 'cdcReporting', secretId: 'rot/cdc-reporting', expectTrade: false },
      // As the stack creates a secret: empty placeholders until the first key is rotated in.
      { name: 'placeholder', secretId: 'rot/placeholder', expectTrade: true },
    ];
    for (const k of keys) {
      const first = k.name === 'placeholder' ? JSON.stringify({ apiKey: '', apiSecret: '' }) : keyJson('bad-secret');
      const created = await sm.send(new CreateSecretCommand({ Name: k.secretId, SecretString: first }));
      secretArns.set(k.name, created.ARN as string);
    }
    Object.assign(process.env, {
      MONITORED_KEYS: JSON.stringify(keys),
      EXCHANGE_BASE_URL: sandbox.baseUrl(),
      IP_ECHO_URL: sandbox.ipEchoUrl,
      EXPECTED_EGRESS_IP: '203.0.113.7',
      ALERT_TOPIC_ARN: topic.TopicArn,
    });
    const config = loadRuntimeConfig(process.env);
    client = checkClient({ baseUrl: config.baseUrl, timeoutMs: 2_000 });
    const { buildRotationHandler } = await import('../../src/handlers/rotate.js');
    handler = buildRotationHandler(() => ({
      keys: config.keys,
      target: { expectedIps: config.expectedIps, ipEchoUrl: config.ipEchoUrl, exchange: client, site: 'aws' },
      store: (secretId) => withHumanInTheMiddle(new SecretVersions(sm, secretId)),
      notifier: { send: (n) => new SqsNotificationQueue(sqs, queueUrl).send([n]) },
      source: 'rotation-test',
      links: [],
      now: Date.now,
      warn: () => {},
    }));
  });

  /**
   * What a human does by hand while a rotation step is running: once, just before the step reads
   * the rotation's own value (after the step's first look at the labels), or just before it moves
   * AWSCURRENT (after its check).
   */
  const human: { beforeReadOf?: { token: string; act: () => Promise<void> }; beforeMove?: () => Promise<void> } = {};
  function withHumanInTheMiddle(store: SecretVersions): SecretVersions {
    const valueOf = store.valueOf.bind(store);
    const moveCurrent = store.moveCurrent.bind(store);
    return Object.assign(store, {
      valueOf: async (versionId: string) => {
        const pending = human.beforeReadOf;
        if (pending && pending.token === versionId) {
          delete human.beforeReadOf;
          await pending.act();
        }
        return valueOf(versionId);
      },
      moveCurrent: async (token: string, from: string | undefined) => {
        const act = human.beforeMove;
        delete human.beforeMove;
        await act?.();
        return moveCurrent(token, from);
      },
    });
  }

  afterAll(async () => {
    await client?.close();
    await Promise.all([moto?.stop(), sandbox?.close()]);
  });

  beforeEach(async () => {
    delete human.beforeReadOf;
    delete human.beforeMove;
    await inbox(); // drain
  });

  /** What the rotation put on the notification queue (the notifier delivers it to every channel). */
  async function inbox(): Promise<{ subject: string; message: string }[]> {
    // Read once: a received message would come back after the default 30 s visibility timeout, into a later test.
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 43_200 }));
    return (out.Messages ?? []).map((m) => {
      const n = JSON.parse(m.Body ?? '{}') as Notification;
      return { subject: n.subject, message: [n.summary, n.fix ?? '', ...n.facts.map((f) => `${f.label}: ${f.value}`)].join('\n') };
    });
  }

  /** EMF documents the rotation Lambda wrote, step after step. */
  const emf: Record<string, unknown>[] = [];
  async function step(name: string, Step: (typeof STEPS)[number], token: string): Promise<void> {
    let raw = '';
    try {
      const out = await captureOutput(() => handler({ SecretId: secretArns.get(name) as string, ClientRequestToken: token, Step }, context));
      raw = out.raw;
    } catch (err) {
      raw = (err as { captured?: string }).captured ?? '';
      throw err;
    } finally {
      output += raw;
      for (const line of raw.split('\n')) if (line.includes('"_aws"')) emf.push(JSON.parse(line) as Record<string, unknown>);
    }
  }

  /** The operator's half: stage under KEYMONITOR_STAGED, then rotate-secret opens a version under a fresh token (returned). */
  async function stage(name: string, value: string): Promise<string> {
    await stageOnly(name, value);
    return randomUUID();
  }

  async function stageOnly(name: string, value: string): Promise<string> {
    const out = await sm.send(new PutSecretValueCommand({ SecretId: secretArns.get(name), SecretString: value, VersionStages: ['KEYMONITOR_STAGED'] }));
    return out.VersionId as string;
  }

  const verdictOf = async (name: string) => (await new SecretVersions(sm, secretArns.get(name) as string).status()).verdict;
  const stagesOf = async (name: string) => (await sm.send(new DescribeSecretCommand({ SecretId: secretArns.get(name) }))).VersionIdsToStages ?? {};
  const current = async (name: string) =>
    (await sm.send(new GetSecretValueCommand({ SecretId: secretArns.get(name), VersionStage: 'AWSCURRENT' }))).SecretString;

  async function rotateAll(name: string, token: string): Promise<void> {
    for (const s of STEPS) await step(name, s, token);
  }

  it('promotes a good pending key and keeps the old one as AWSPREVIOUS', async () => {
    const before = await stagesOf('trading');
    const oldVersion = Object.entries(before).find(([, s]) => s.includes('AWSCURRENT'))?.[0];
    const token = await stage('trading', keyJson('healthy'));
    await rotateAll('trading', token);

    const after = await stagesOf('trading');
    expect(after[token]).toContain('AWSCURRENT');
    expect(after[oldVersion as string]).toContain('AWSPREVIOUS');
    expect(await current('trading')).toBe(keyJson('healthy'));
    const [msg, ...more] = await inbox();
    expect(more).toHaveLength(0);
    expect(msg?.subject).toBe(`✅ trading: new key ${sandbox.credentials('healthy').apiKey.slice(0, 4)}… is live`);
    expect(msg?.message).toContain('is now AWSCURRENT');
    expect(msg?.message).toContain('18 (17 with a market value');
    expect(await verdictOf('trading')).toMatchObject({ outcome: 'promoted', token });
    // The label is gone once its key is live: the next rotation needs a newly staged key.
    expect(Object.values(after).flat()).not.toContain('KEYMONITOR_STAGED');
    // And AWSPENDING is off the promoted version: a later rollback leaves nothing a retry could re-promote.
    expect(after[token]).toEqual(['AWSCURRENT']);
  });

  it('runs every step twice without harm (Secrets Manager retries them)', async () => {
    const fresh = JSON.stringify(sandbox.mint('healthy'));
    const token = await stage('trading', fresh);
    for (const s of STEPS) {
      await step('trading', s, token);
      await step('trading', s, token);
    }
    expect((await stagesOf('trading'))[token]).toContain('AWSCURRENT');
    expect(await current('trading')).toBe(fresh);
    // Already current after the first finishSecret: no second "live" mail.
    expect((await inbox()).filter((m) => m.subject.includes('is live'))).toHaveLength(1);
  });

  it('runs finishSecret twice at the same moment: one promotion, no error, one notification', async () => {
    const token = await stage('trading', JSON.stringify(sandbox.mint('healthy')));
    for (const s of STEPS.slice(0, 3)) await step('trading', s, token);
    await Promise.all([step('trading', 'finishSecret', token), step('trading', 'finishSecret', token)]);
    expect((await stagesOf('trading'))[token]).toContain('AWSCURRENT');
    expect((await inbox()).filter((m) => m.subject.includes('is live')).length).toBeLessThanOrEqual(2);
  });

  it.each([
    ['not whitelisted', 'ip-not-whitelisted', 'IP_NOT_WHITELISTED', 'Add 203.0.113.7 to the key’s IP whitelist'],
    ['a wrong secret', 'bad-secret', 'AUTH_FAILED', 'key or secret is wrong'],
    ['no Trade permission', 'read-only', 'TRADE_PERMISSION_MISSING', 'Enable trading'],
  ] as const)('refuses a pending key with %s and leaves AWSCURRENT untouched', async (_label, behaviour, diagnosis, fix) => {
    const before = await current('trading');
    const token = await stage('trading', keyJson(behaviour));
    await step('trading', 'createSecret', token);
    await step('trading', 'setSecret', token);
    await expect(step('trading', 'testSecret', token)).rejects.toMatchObject({ name: 'RotationError', reason: 'REFUSED' });
    expect(await current('trading')).toBe(before);
    expect((await stagesOf('trading'))[token]).not.toContain('AWSCURRENT');
    const [msg] = await inbox();
    expect(msg?.subject).toContain('trading: new key refused');
    expect(msg?.message).toContain(diagnosis);
    expect(msg?.message).toContain(fix);
    expect(msg?.message).toContain('The current key is untouched');
    expect(await verdictOf('trading')).toMatchObject({ outcome: 'refused', diagnosis, token });
    // AWSPENDING is taken off the refused version, or RotateSecret would refuse the next rotation.
    expect(Object.values(await stagesOf('trading')).flat()).not.toContain('AWSPENDING');
    // The staged key keeps its label: fix the cause (e.g. whitelist the IP) and rotate-secret again.
    expect(Object.values(await stagesOf('trading')).flat()).toContain('KEYMONITOR_STAGED');
  });

  it('refuses a new key that can withdraw when the slot does not expect it', async () => {
    const before = await current('trading');
    const token = await stage('trading', JSON.stringify(sandbox.mint('withdraw-enabled')));
    await step('trading', 'createSecret', token);
    await expect(step('trading', 'testSecret', token)).rejects.toMatchObject({ reason: 'REFUSED', report: { diagnosis: 'WITHDRAW_PERMISSION_UNEXPECTED' } });
    await expect(step('trading', 'finishSecret', token)).rejects.toMatchObject({ reason: 'NOT_PENDING' });
    expect(await current('trading')).toBe(before);
  });

  it('finishSecret never promotes when invoked after a refused testSecret (the version lost AWSPENDING)', async () => {
    const before = await current('trading');
    const token = await stage('trading', keyJson('ip-not-whitelisted'));
    await step('trading', 'createSecret', token);
    await expect(step('trading', 'testSecret', token)).rejects.toMatchObject({ reason: 'REFUSED' });
    await expect(step('trading', 'finishSecret', token)).rejects.toMatchObject({ reason: 'NOT_PENDING' });
    expect(await current('trading')).toBe(before);
    expect((await inbox()).some((m) => m.subject.includes('is live'))).toBe(false);
  });

  it('a retried rotation never overrides a key put live after it started (Secrets Manager retries with the same token)', async () => {
    const token = await stage('trading', JSON.stringify(sandbox.mint('healthy')));
    await step('trading', 'createSecret', token);
    await step('trading', 'setSecret', token);
    // testSecret times out here; meanwhile the operator puts another key live by hand.
    await new Promise((r) => setTimeout(r, 1_100)); // moto's version dates have one-second resolution
    const byHand = JSON.stringify(sandbox.mint('healthy'));
    // Written, then made current with update-secret-version-stage (moto loses track of AWSCURRENT when a plain
    // put follows an UpdateSecretVersionStage, leaving two versions labelled AWSCURRENT; AWS never does).
    const before = Object.entries(await stagesOf('trading')).find(([, l]) => l.includes('AWSCURRENT'))?.[0];
    const put = await sm.send(new PutSecretValueCommand({ SecretId: secretArns.get('trading'), SecretString: byHand, VersionStages: ['BYHAND'] }));
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretArns.get('trading'),
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: put.VersionId,
        RemoveFromVersionId: before,
      }),
    );
    await expect(step('trading', 'testSecret', token)).rejects.toMatchObject({ reason: 'CURRENT_MOVED' });
    await expect(step('trading', 'finishSecret', token)).rejects.toMatchObject({ name: 'RotationError' });
    expect(await current('trading')).toBe(byHand);
    await inbox();
  });

  /** Puts a value live by hand: written under a label of its own, then made AWSCURRENT (returns its version). */
  async function putLive(name: string, value: string): Promise<string> {
    const put = await sm.send(new PutSecretValueCommand({ SecretId: secretArns.get(name), SecretString: value, VersionStages: ['BYHAND'] }));
    await moveCurrentByHand(name, put.VersionId as string);
    return put.VersionId as string;
  }

  /** The README's rollback: update-secret-version-stage AWSCURRENT onto another version. */
  async function moveCurrentByHand(name: string, to: string): Promise<void> {
    const from = await versionWith(name, 'AWSCURRENT');
    if (from === to) return;
    await sm.send(
      new UpdateSecretVersionStageCommand({ SecretId: secretArns.get(name), VersionStage: 'AWSCURRENT', MoveToVersionId: to, RemoveFromVersionId: from }),
    );
  }

  const versionWith = async (name: string, label: string) => Object.entries(await stagesOf(name)).find(([, l]) => l.includes(label))?.[0];
  const prefixOf = (value: string) => (JSON.parse(value) as { apiKey: string }).apiKey.slice(0, 4);

  it('refuses to stage the key that is already current (same key, same secret): nothing changes and nobody is told to delete a key', async () => {
    const live = JSON.stringify(sandbox.mint('healthy'));
    const liveVersion = await putLive('trading', live);
    const token = await stage('trading', live);
    const stops: unknown[] = [];
    for (const s of STEPS) await step('trading', s, token).catch((err: unknown) => stops.push(err));
    expect(stops[0]).toMatchObject({ name: 'RotationError', reason: 'SAME_KEY' });
    expect(await versionWith('trading', 'AWSCURRENT')).toBe(liveVersion);
    expect(await current('trading')).toBe(live);
    const mails = await inbox();
    expect(mails).toHaveLength(1);
    expect(mails[0]?.subject).toBe('🟠 trading: rotation refused — same key, nothing changed');
    expect(mails[0]?.message).toContain(`key ${prefixOf(live)}… is the key that is already live`);
    expect(mails[0]?.message).toContain(`Keep key ${prefixOf(live)}…: it is the live key.`);
    expect(mails.map((m) => m.subject + m.message).join('\n')).not.toMatch(/is live$|delete/im);
    expect(await verdictOf('trading')).toMatchObject({ outcome: 'refused', diagnosis: 'SAME_KEY', token });
    expect(Object.values(await stagesOf('trading')).flat()).not.toContain('AWSPENDING');
  });

  it('replaces only the secret when the staged key is the current key with another secret (a mistyped secret fixed), and says there is no old key to delete', async () => {
    const fixed = sandbox.mint('healthy');
    const mistyped = JSON.stringify({ apiKey: fixed.apiKey, apiSecret: 'mIsTyPeDsEcReT0123456789' });
    const mistypedVersion = await putLive('trading', mistyped);
    const token = await stage('trading', JSON.stringify(fixed));
    await rotateAll('trading', token);
    expect(await versionWith('trading', 'AWSCURRENT')).toBe(token);
    expect(await current('trading')).toBe(JSON.stringify(fixed));
    expect((await stagesOf('trading'))[mistypedVersion]).toContain('AWSPREVIOUS');
    const [msg, ...more] = await inbox();
    expect(more).toHaveLength(0);
    expect(msg?.subject).toBe(`✅ trading: secret of key ${prefixOf(mistyped)}… replaced`);
    expect(msg?.message).toContain(`The secret of key ${prefixOf(mistyped)}… for "trading" was replaced`);
    expect(msg?.message).toContain('there is no old key to delete on the exchange');
    expect(msg?.message).not.toMatch(/delete the old key/i);
    expect(await verdictOf('trading')).toMatchObject({ outcome: 'promoted', token });
  });

  it('names the old key to delete, never the new one, when a new key is promoted', async () => {
    const old = JSON.stringify(sandbox.mint('healthy'));
    await putLive('trading', old);
    const fresh = JSON.stringify(sandbox.mint('healthy'));
    await rotateAll('trading', await stage('trading', fresh));
    const [msg] = await inbox();
    expect(msg?.subject).toBe(`✅ trading: new key ${prefixOf(fresh)}… is live`);
    // Sandbox keys share their first characters often enough that both texts are reachable.
    expect(msg?.message).toContain(
      prefixOf(old) === prefixOf(fresh)
        ? `delete the old key on the exchange: it starts with the same 4 characters (${prefixOf(fresh)}…)`
        : `delete the old key ${prefixOf(old)}… on the exchange (not ${prefixOf(fresh)}…: that is the live key)`,
    );
  });

  it('says there is no old key to delete when the first key replaces the empty placeholder', async () => {
    const first = JSON.stringify(sandbox.mint('healthy'));
    await rotateAll('placeholder', await stage('placeholder', first));
    expect(await current('placeholder')).toBe(first);
    const [msg] = await inbox();
    expect(msg?.subject).toBe(`✅ placeholder: new key ${prefixOf(first)}… is live`);
    expect(msg?.message).toContain('The secret held no key before this one: there is no old key to delete on the exchange.');
    expect(msg?.message).not.toMatch(/delete the old key/i);
  });

  it('a human rollback between testSecret and finishSecret stands: finishSecret refuses, says so, and leaves AWSCURRENT where the human put it', async () => {
    // A promotion first, so that AWSPREVIOUS holds a key to roll back to.
    await rotateAll('trading', await stage('trading', JSON.stringify(sandbox.mint('healthy'))));
    await inbox();
    const token = await stage('trading', JSON.stringify(sandbox.mint('healthy')));
    for (const s of STEPS.slice(0, 3)) await step('trading', s, token);
    const live = await versionWith('trading', 'AWSCURRENT');
    const previous = (await versionWith('trading', 'AWSPREVIOUS')) as string;
    await moveCurrentByHand('trading', previous);
    const rolledBack = await current('trading');

    await expect(step('trading', 'finishSecret', token)).rejects.toMatchObject({ name: 'RotationError', reason: 'CURRENT_MOVED' });
    expect(await versionWith('trading', 'AWSCURRENT')).toBe(previous);
    expect(await current('trading')).toBe(rolledBack);
    const mails = await inbox();
    expect(mails).toHaveLength(1);
    expect(mails[0]?.subject).toBe('🟠 trading: rotation stopped — AWSCURRENT was moved while it ran');
    expect(mails[0]?.message).toContain(`AWSCURRENT is on version ${previous} now`);
    expect(mails[0]?.message).toContain(`this rotation started from version ${live}`);
    expect(mails[0]?.message).toContain('Nothing was promoted or changed');
    expect(mails[0]?.subject + (mails[0]?.message ?? '')).not.toMatch(/is live|delete/i);
    expect(await verdictOf('trading')).toMatchObject({ outcome: 'refused', diagnosis: 'CURRENT_MOVED', token });
    // Secrets Manager's retry of the step finds nothing to promote either.
    await expect(step('trading', 'finishSecret', token)).rejects.toMatchObject({ reason: 'NOT_PENDING' });
    expect(await versionWith('trading', 'AWSCURRENT')).toBe(previous);
  });

  describe('a human moving labels at any point of a rotation never loses to it, and nobody is told to delete a live key', () => {
    type Gap =
      | 'after createSecret'
      | 'after setSecret'
      | 'after testSecret'
      | 'inside finishSecret, before its check'
      | 'inside finishSecret, at its move'
      | 'after finishSecret, before Secrets Manager retries it';
    interface Scene {
      readonly token: string;
      readonly staged: string;
      readonly start: string;
    }
    /** What the human does; returns the version the human wants AWSCURRENT on ('rotation' when the human leaves that to the rotation). */
    const moves: Record<string, (s: Scene) => Promise<string>> = {
      'rolls AWSCURRENT back to AWSPREVIOUS': async () => {
        const previous = (await versionWith('trading', 'AWSPREVIOUS')) as string;
        await moveCurrentByHand('trading', previous);
        return previous;
      },
      'puts another key live by hand': async () => putLive('trading', JSON.stringify(sandbox.mint('healthy'))),
      'moves AWSCURRENT onto the staged version': async (s) => {
        await moveCurrentByHand('trading', s.staged);
        return s.staged;
      },
      'moves AWSCURRENT onto the rotation’s own version': async (s) => {
        await moveCurrentByHand('trading', s.token);
        return s.token;
      },
      'moves AWSCURRENT away and back again': async (s) => {
        await moveCurrentByHand('trading', (await versionWith('trading', 'AWSPREVIOUS')) as string);
        await moveCurrentByHand('trading', s.start);
        return 'rotation';
      },
      'takes AWSPENDING off the rotation’s version': async (s) => {
        await sm.send(new UpdateSecretVersionStageCommand({ SecretId: secretArns.get('trading'), VersionStage: 'AWSPENDING', RemoveFromVersionId: s.token }));
        return s.start;
      },
    };
    const gaps: Gap[] = [
      'after createSecret',
      'after setSecret',
      'after testSecret',
      'inside finishSecret, before its check',
      'inside finishSecret, at its move',
      'after finishSecret, before Secrets Manager retries it',
    ];
    const applies = (gap: Gap, move: string) => {
      // Inside the move itself only AWSCURRENT is guarded (Secrets Manager moves one label per call); taking
      // AWSPENDING off is seen at every step boundary and at the second look just before the move.
      if (gap === 'inside finishSecret, at its move') return !move.startsWith('takes AWSPENDING');
      // Once promoted, AWSPENDING is gone and the rotation's own version is current: only choosing another key means anything.
      if (gap === 'after finishSecret, before Secrets Manager retries it')
        return ['rolls AWSCURRENT back to AWSPREVIOUS', 'puts another key live by hand', 'moves AWSCURRENT onto the staged version'].includes(move);
      return true;
    };
    const cases = gaps.flatMap((gap) =>
      Object.keys(moves)
        .filter((move) => applies(gap, move))
        .map((move) => [gap, move] as const),
    );

    it.each(cases)('%s, the human %s', async (gap, move) => {
      // A promotion first, so that AWSPREVIOUS holds a key to roll back to.
      await rotateAll('trading', await stage('trading', JSON.stringify(sandbox.mint('healthy'))));
      await inbox();
      const fresh = JSON.stringify(sandbox.mint('healthy'));
      const staged = await stageOnly('trading', fresh);
      const scene: Scene = { token: randomUUID(), staged, start: (await versionWith('trading', 'AWSCURRENT')) as string };
      let wanted = 'rotation';
      const act = async () => {
        wanted = await moves[move]!(scene);
      };
      const run = async (s: (typeof STEPS)[number]) => step('trading', s, scene.token).catch(() => undefined);
      await run('createSecret');
      if (gap === 'after createSecret') await act();
      await run('setSecret');
      if (gap === 'after setSecret') await act();
      await run('testSecret');
      if (gap === 'after testSecret') await act();
      if (gap === 'inside finishSecret, before its check') human.beforeReadOf = { token: scene.token, act };
      if (gap === 'inside finishSecret, at its move') human.beforeMove = act;
      await run('finishSecret');
      if (gap === 'after finishSecret, before Secrets Manager retries it') {
        expect(await versionWith('trading', 'AWSCURRENT')).toBe(scene.token);
        // The promotion was announced while it was true; what follows is the human's own choice.
        await inbox();
        await act();
      }
      // Secrets Manager retries a failed step: the retry must not change the outcome.
      await run('finishSecret');
      expect(human).toEqual({});

      const live = (await versionWith('trading', 'AWSCURRENT')) as string;
      expect(live).toBe(wanted === 'rotation' ? scene.token : wanted);
      const mails = await inbox();
      const livePrefix = prefixOf((await current('trading')) as string);
      for (const m of mails) expect(m.subject + m.message).not.toContain(`delete the old key ${livePrefix}…`);
      if (wanted !== 'rotation') expect(mails.filter((m) => /is live|replaced|delete/i.test(m.subject + m.message))).toEqual([]);
      if (gap === 'after finishSecret, before Secrets Manager retries it') expect(mails).toEqual([]);
      else if (wanted !== 'rotation' && wanted !== scene.token && wanted !== scene.start) {
        expect(mails.map((m) => m.subject)).toEqual(['🟠 trading: rotation stopped — AWSCURRENT was moved while it ran']);
        expect(mails[0]?.message).toContain(`AWSCURRENT is on version ${wanted} now`);
      }
    });
  });

  it('counts stops it already reported (and retries of a refused rotation) apart from failures, for the failed-rotation alarm', async () => {
    const token = await stage('trading', keyJson('ip-not-whitelisted'));
    await step('trading', 'createSecret', token);
    emf.length = 0;
    await expect(step('trading', 'testSecret', token)).rejects.toMatchObject({ reason: 'REFUSED' });
    await expect(step('trading', 'finishSecret', token)).rejects.toMatchObject({ reason: 'NOT_PENDING' });
    expect(emf.filter((d) => d['RotationsRefused'] === 1)).toHaveLength(2);
    await inbox();
  });

  it('finishSecret validates the exact version at the moment of promotion: a key revoked after testSecret is not promoted', async () => {
    const before = await current('trading');
    const fresh = sandbox.mint('healthy');
    const token = await stage('trading', JSON.stringify(fresh));
    for (const s of STEPS.slice(0, 3)) await step('trading', s, token);
    sandbox.revoke(fresh.apiKey);
    await expect(step('trading', 'finishSecret', token)).rejects.toMatchObject({ reason: 'REFUSED', report: { diagnosis: 'AUTH_FAILED' } });
    expect(await current('trading')).toBe(before);
    const mails = await inbox();
    expect(mails.some((m) => m.subject.includes('is live'))).toBe(false);
    expect(mails.at(-1)?.message).toContain('AUTH_FAILED');
  });

  it('refuses a staged value that is not the documented JSON, naming what is wrong', async () => {
    const token = await stage('trading', 'apiKey=abc, apiSecret=def');
    await step('trading', 'createSecret', token);
    await expect(step('trading', 'testSecret', token)).rejects.toMatchObject({ reason: 'REFUSED' });
    expect((await inbox())[0]?.message).toContain('CREDENTIALS_MALFORMED');
  });

  it('refuses a key staged in the console’s key/value form without showing the key in the log or the alert', async () => {
    const fresh = sandbox.mint('healthy');
    const before = output.length;
    const token = await stage('trading', JSON.stringify({ [fresh.apiKey]: fresh.apiSecret }));
    await step('trading', 'createSecret', token);
    await expect(step('trading', 'testSecret', token)).rejects.toMatchObject({ reason: 'REFUSED', report: { diagnosis: 'CREDENTIALS_MALFORMED' } });
    const alerts = JSON.stringify(await inbox());
    for (const text of [alerts, output.slice(before)]) {
      expect(text).not.toContain(fresh.apiKey.slice(0, 5));
      expect(text).not.toContain(fresh.apiSecret);
    }
    expect(alerts).toContain('CREDENTIALS_MALFORMED');
  });

  it('promotes a read-only key for a key declared read-only', async () => {
    const token = await stage('reporting', keyJson('read-only'));
    await rotateAll('reporting', token);
    expect(await current('reporting')).toBe(keyJson('read-only'));
  });

  it('judges a secret by its own key’s rules: rot/cdc-reporting (read-only) is never judged as rot/cdc (trading)', async () => {
    const before = await current('cdcReporting');
    const token = await stage('cdcReporting', keyJson('healthy'));
    await step('cdcReporting', 'createSecret', token);
    await expect(step('cdcReporting', 'testSecret', token)).rejects.toMatchObject({ reason: 'REFUSED', report: { diagnosis: 'TRADE_PERMISSION_UNEXPECTED' } });
    await expect(step('cdcReporting', 'finishSecret', token)).rejects.toMatchObject({ reason: 'NOT_PENDING' });
    expect(await current('cdcReporting')).toBe(before);
  });

  it('says how to stage a key when nothing is staged, and changes nothing', async () => {
    const before = await current('reporting');
    await expect(step('reporting', 'createSecret', randomUUID())).rejects.toMatchObject({
      reason: 'NOTHING_STAGED',
      message: expect.stringContaining('--version-stages KEYMONITOR_STAGED'),
    });
    expect(await current('reporting')).toBe(before);
    expect((await inbox())[0]?.subject).toContain('reporting: rotation refused');
  });

  it('copies the staged key under the rotation’s own token as AWSPENDING, then judges it', async () => {
    const staged = await stageOnly('reporting', keyJson('healthy'));
    const token = randomUUID();
    await step('reporting', 'createSecret', token);
    expect((await stagesOf('reporting'))[token]).toContain('AWSPENDING');
    expect((await sm.send(new GetSecretValueCommand({ SecretId: secretArns.get('reporting'), VersionId: token }))).SecretString).toBe(keyJson('healthy'));
    expect((await stagesOf('reporting'))[staged]).toEqual(['KEYMONITOR_STAGED']);
    // A healthy (Trade-enabled) key on a read-only declaration is refused: least privilege holds.
    await expect(step('reporting', 'testSecret', token)).rejects.toMatchObject({ reason: 'REFUSED' });
    expect((await inbox())[0]?.message).toContain('TRADE_PERMISSION_UNEXPECTED');
  });

  it('takes only the last staged value: a malformed one is refused as malformed, never skipped for an earlier good one', async () => {
    await stageOnly('cli', keyJson('healthy'));
    const token = await stage('cli', '{"apiKey": "only-a-key"}');
    await step('cli', 'createSecret', token);
    await expect(step('cli', 'testSecret', token)).rejects.toMatchObject({ reason: 'REFUSED', report: { diagnosis: 'CREDENTIALS_MISSING' } });
    expect(await current('cli')).not.toBe(keyJson('healthy'));
  });

  it('never brings back a retired key: after a promotion nothing is staged', async () => {
    for (let i = 0; i < 2; i++) {
      await new Promise((r) => setTimeout(r, 1_100)); // moto's version dates have one-second resolution
      await rotateAll('reporting', await stage('reporting', JSON.stringify(sandbox.mint('read-only'))));
    }
    await inbox();
    await expect(step('reporting', 'createSecret', randomUUID())).rejects.toMatchObject({ reason: 'NOTHING_STAGED' });
  });

  it('refuses a staged key older than the current one (the current key was replaced by hand after staging)', async () => {
    // On 'cli', whose AWSCURRENT was never promoted by a rotation: moto leaves AWSCURRENT on a version that also
    // carries AWSPENDING when a put moves it (two versions then claim AWSCURRENT; AWS never does that).
    await stageOnly('cli', JSON.stringify(sandbox.mint('healthy')));
    await new Promise((r) => setTimeout(r, 1_100)); // moto's version dates have one-second resolution
    const byHand = JSON.stringify(sandbox.mint('healthy'));
    await sm.send(new PutSecretValueCommand({ SecretId: secretArns.get('cli'), SecretString: byHand }));
    await expect(step('cli', 'createSecret', randomUUID())).rejects.toMatchObject({ reason: 'STALE_STAGED' });
    expect(await current('cli')).toBe(byHand);
    expect((await inbox())[0]?.subject).toContain('staged key is older than the current key');
  });

  it('refuses a secret that is not one of the monitored keys', async () => {
    const other = await sm.send(new CreateSecretCommand({ Name: 'rot/unrelated', SecretString: keyJson('healthy') }));
    await expect(
      captureOutput(() => handler({ SecretId: other.ARN as string, ClientRequestToken: randomUUID(), Step: 'createSecret' }, context)),
    ).rejects.toMatchObject({ reason: 'NOT_MONITORED' });
  });

  it('never puts a secret, a signature or a full key in logs or alerts', async () => {
    const token = await stage('trading', keyJson('healthy'));
    await rotateAll('trading', token);
    const alerts = JSON.stringify(await inbox());
    const sigs = sandbox.requests.map((r) => r.sig).filter((s): s is string => typeof s === 'string');
    expect(sigs.length).toBeGreaterThan(10);
    for (const b of ['healthy', 'bad-secret', 'ip-not-whitelisted', 'read-only'] as const) {
      const { apiKey, apiSecret } = sandbox.credentials(b);
      for (const text of [output, alerts]) {
        expect(text).not.toContain(apiSecret);
        expect(text).not.toContain(apiKey);
      }
    }
    for (const sig of sigs) expect(output).not.toContain(sig);
  });

  describe('key-monitor rotate (the operator’s side)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ekm-rotate-'));
    const keyFile = (b: Behaviour | 'garbage' | 'huge') => {
      const path = join(dir, `${b}.json`);
      writeFileSync(path, b === 'garbage' ? 'apiKey: nope' : b === 'huge' ? ' '.repeat(200_000) + keyJson('healthy') : keyJson(b));
      return path;
    };
    async function cli(args: string[]) {
      let stdout = '';
      let stderr = '';
      const code = await main(['rotate', '--secret-id', 'rot/cli', ...args], {}, { out: (t) => (stdout += t), err: (t) => (stderr += t) });
      output += stdout + stderr;
      return { code, stdout, stderr };
    }

    it('refuses a malformed key before staging anything', async () => {
      const before = Object.keys(await stagesOf('cli')).length;
      const run = await cli(['--file', keyFile('garbage')]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('the new key is not usable, nothing was staged: the secret is not JSON');
      expect(Object.keys(await stagesOf('cli'))).toHaveLength(before);
    });

    it('names an empty input as no key given, and stages nothing', async () => {
      const before = Object.keys(await stagesOf('cli')).length;
      const empty = join(dir, 'empty.json');
      writeFileSync(empty, ' \n');
      const run = await cli(['--file', empty]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('no new key was given');
      expect(run.stderr).toContain('is empty');
      expect(Object.keys(await stagesOf('cli'))).toHaveLength(before);
    });

    it('reads at most a small, bounded input', async () => {
      const before = Object.keys(await stagesOf('cli')).length;
      const run = await cli(['--file', keyFile('huge')]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('more than 64 KB');
      expect(Object.keys(await stagesOf('cli'))).toHaveLength(before);
    });

    it('names a missing secret and exits 2', async () => {
      let stderr = '';
      const code = await main(
        ['rotate', '--secret-id', 'rot/nope', '--file', keyFile('healthy'), '--rotation-function', 'arn:aws:lambda:us-east-1:123456789012:function:rot'],
        {},
        { out: () => {}, err: (t) => (stderr += t) },
      );
      expect(code).toBe(2);
      expect(stderr).toContain('rot/nope: the secret does not exist');
    });

    it('says a first rotation needs the rotation function, and stages nothing', async () => {
      const before = Object.keys(await stagesOf('cli')).length;
      const run = await cli(['--file', keyFile('healthy')]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('--rotation-function');
      expect(Object.keys(await stagesOf('cli'))).toHaveLength(before);
    });

    it('refuses to stage the key that is already current (exit 1) before anything is staged or started', async () => {
      const path = join(dir, 'same.json');
      writeFileSync(path, (await current('cli')) as string);
      const before = await stagesOf('cli');
      const run = await cli(['--file', path, '--rotation-function', 'arn:aws:lambda:us-east-1:123456789012:function:rot']);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('same key, nothing changed');
      expect(run.stderr).toContain('Nothing was staged');
      expect(run.stdout + run.stderr).not.toMatch(/delete|Promoted|Rotation started/i);
      expect(await stagesOf('cli')).toEqual(before);
    });
  });
});
