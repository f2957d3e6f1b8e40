import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusCommand, type StatusReport } from '../../src/cli/status.js';
import { loadRuntimeConfig } from '../../src/monitor/runtime-config.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/exchange.js';
import { createStateTable, startMoto, toolMissing, useEmulator, type Moto } from '../support/moto.js';
import { emulatedCheckDeps, emulatedCheckRun } from '../support/emulated-check.js';

/**
 * `key-monitor status` end to end: the real check handler writes runs into DynamoDB (moto_server)
 * under a moving clock, and status finds the table through the stack's outputs (CloudFormation on
 * moto_server) and computes each key's uptime from the store.
 */
const MIN = 60_000;

describe.skipIf(toolMissing('moto_server'))('key-monitor status reads state and uptime from the store', () => {
  let moto: Moto;
  let sandbox: Sandbox;

  /**
   * One deployed monitor (its own state table and stack) whose check Lambda runs under a clock the
   * test moves. Status compares against AWS's own time (moto's Date header, the real time), so each
   * timeline is laid out to end at a chosen distance before now.
   */
  async function deploy(stack: string) {
    const table = `${stack}-state`;
    await createStateTable(table);
    const queueUrl = (await new SQSClient({}).send(new CreateQueueCommand({ QueueName: `${stack}-queue` }))).QueueUrl as string;
    const template = {
      Resources: { Marker: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
      Outputs: { StateTableName: { Value: table }, NotificationQueueUrl: { Value: queueUrl }, ScheduleMinutes: { Value: '5' } },
    };
    await new CloudFormationClient({}).send(new CreateStackCommand({ StackName: stack, TemplateBody: JSON.stringify(template) }));
    const sm = new SecretsManagerClient({});
    const steady = sandbox.mint('healthy');
    const flaky = sandbox.mint('healthy');
    await sm.send(new CreateSecretCommand({ Name: `${stack}/steady`, SecretString: JSON.stringify(steady) }));
    await sm.send(new CreateSecretCommand({ Name: `${stack}/flaky`, SecretString: JSON.stringify(flaky) }));
    const config = loadRuntimeConfig({
      MONITORED_KEYS: JSON.stringify([
        { name: 'steady', secretId: `${stack}/steady`, expectTrade: true },
        { name: 'flaky', secretId: `${stack}/flaky`, expectTrade: true },
      ]),
      EXCHANGE_BASE_URL: sandbox.baseUrl(),
      IP_ECHO_URL: sandbox.ipEchoUrl,
      EXPECTED_EGRESS_IP: '203.0.113.7',
    });
    const clock = { now: 0 };
    const run = emulatedCheckRun(emulatedCheckDeps(config, () => clock.now, { table, queueUrl, source: stack }));
    return {
      clock,
      flakyKey: flaky.apiKey,
      /** Runs every 5 min, the last one `endsAgoMs` before now; `before(i)` runs ahead of run i. */
      async runs(count: number, endsAgoMs: number, before: (i: number) => void = () => {}) {
        const first = Date.now() - endsAgoMs - (count - 1) * 5 * MIN;
        for (let i = 0; i < count; i++) {
          before(i);
          clock.now = first + i * 5 * MIN;
          await run();
        }
        return first;
      },
      async status(localClock: () => number = Date.now, json = true): Promise<{ code: number; out: string; report: StatusReport | null }> {
        let out = '';
        const code = await statusCommand({ command: 'status', stack, json, timeoutMs: 5_000 }, { out: (t) => (out += t), err: () => {} }, localClock);
        return { code, out, report: json ? (JSON.parse(out) as StatusReport) : null };
      },
    };
  }

  beforeAll(async () => {
    [moto, sandbox] = await Promise.all([startMoto(), startSandbox()]);
    useEmulator(moto.endpoint);
  });

  afterAll(async () => {
    await Promise.all([moto?.stop(), sandbox?.close()]);
  });

  it('ten runs, three of them failing for one key: 100 % and 70 % over 7 days, the open incident with its start', async () => {
    const monitor = await deploy('StatusTest');
    // Runs 7, 8 and 9 of the flaky key fail: its key is revoked, then the last run is still failing.
    const first = await monitor.runs(10, 0, (i) => {
      if (i === 7) sandbox.revoke(monitor.flakyKey);
    });
    const { code, report } = await monitor.status();
    expect(code).toBe(1);
    expect(report?.clock.source).toBe('local');
    const byName = Object.fromEntries((report?.keys ?? []).map((k) => [k.key, k]));
    expect(byName['steady']).toMatchObject({ state: 'ok', uptime7d: 1, uptime30d: 1 });
    expect(byName['flaky']).toMatchObject({ state: 'open', diagnosis: 'AUTH_FAILED', uptime7d: 0.7, since: new Date(first + 7 * 5 * MIN).toISOString() });
    expect(report?.recentIncidents).toEqual([expect.objectContaining({ key: 'flaky', diagnosis: 'AUTH_FAILED', resolvedAt: null })]);
  });

  it('calls a key stale, and exits 1, once three scheduled runs are missing: an old OK is not evidence', async () => {
    const monitor = await deploy('StaleTest');
    await monitor.runs(3, 16 * MIN);
    const { code, report } = await monitor.status();
    expect(code).toBe(1);
    expect(report?.keys.find((k) => k.key === 'steady')).toMatchObject({ state: 'stale', uptime7d: 1 });
  });

  it('does not trust a caller’s clock an hour behind: a monitor stopped 50 min ago is stale by AWS’s time, exit 1, and the difference is said', async () => {
    const monitor = await deploy('StoppedTest');
    await monitor.runs(3, 50 * MIN);
    const behind = () => Date.now() - 60 * MIN;
    const text = await monitor.status(behind, false);
    expect(text.code).toBe(1);
    expect(text.out).toContain("Your clock is 1 h 0 min behind AWS; ages use AWS's time");
    // AWS's Date header has whole seconds: 50 min, or a second short of it.
    expect(text.out).toMatch(/last checked (49|50) min ago/);
    expect(text.out).not.toContain('under a minute');
    const { code, report } = await monitor.status(behind);
    expect(code).toBe(1);
    expect(report?.keys.map((k) => k.state)).toEqual(['stale', 'stale']);
    expect(report?.clock.source).toBe('aws');
    expect(Math.round((report?.clock.skewMs ?? 0) / MIN)).toBe(-60);
  });
});
