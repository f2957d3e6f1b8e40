import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Behaviour, type Sandbox } from '../../src/sandbox/exchange.js';
import { CachedSecrets } from '../../src/aws/secrets.js';
import { awsClientOptions } from '../../src/aws/aws-calls.js';
import { lambdaCheckTarget } from '../../src/handlers/wiring.js';
import { loadRuntimeConfig } from '../../src/monitor/runtime-config.js';
import { startStallingProxy } from '../support/stalling-proxy.js';
import { captureOutput, startMoto, toolMissing, useEmulator, type Moto } from '../support/moto.js';

const skip = toolMissing('moto_server');

const context = {
  functionName: 'check',
  awsRequestId: 'req-1',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:check',
  memoryLimitInMB: '256',
  functionVersion: '$LATEST',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;
const scheduledEvent = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };

describe.skipIf(skip)('check Lambda handler: Secrets Manager on moto_server, exchange on the sandbox', () => {
  let moto: Moto;
  let sandbox: Sandbox;
  let sm: SecretsManagerClient;
  let invoke: () => Promise<{ raw: string; docs: Record<string, unknown>[]; value: unknown }>;
  const put = (behaviour: Behaviour) => JSON.stringify({ apiKey: sandbox.credentials(behaviour).apiKey, apiSecret: sandbox.credentials(behaviour).apiSecret });

  beforeAll(async () => {
    [moto, sandbox] = await Promise.all([startMoto(), startSandbox()]);
    useEmulator(moto.endpoint);
    sm = new SecretsManagerClient({});
    const secrets: [string, string][] = [
      ['ekm/healthy', put('healthy')],
      ['ekm/ip', put('ip-not-whitelisted')],
      ['ekm/readonly', put('read-only')],
      ['ekm/revoked', put('bad-secret')],
      ['ekm/garbled', 'apikey=abc;secret=def'],
      ['ekm/placeholder', JSON.stringify({ apiKey: '', apiSecret: '' })],
      ['ekm/rotating', put('bad-secret')],
    ];
    for (const [Name, SecretString] of secrets) await sm.send(new CreateSecretCommand({ Name, SecretString }));
    await sm.send(new CreateSecretCommand({ Name: 'ekm/binary', SecretBinary: Buffer.from(put('healthy')) }));
    const keys = [
      { name: 'main', secretId: 'ekm/healthy', expectTrade: true },
      { name: 'whitelist', secretId: 'ekm/ip', expectTrade: true },
      { name: 'noTrade', secretId: 'ekm/readonly', expectTrade: true },
      { name: 'reporting', secretId: 'ekm/readonly', expectTrade: false },
      { name: 'revoked', secretId: 'ekm/revoked', expectTrade: true },
      { name: 'garbled', secretId: 'ekm/garbled', expectTrade: true },
      { name: 'placeholder', secretId: 'ekm/placeholder', expectTrade: true },
      { name: 'gone', secretId: 'ekm/does-not-exist', expectTrade: true },
      { name: 'rotating', secretId: 'ekm/rotating', expectTrade: true },
      { name: 'binary', secretId: 'ekm/binary', expectTrade: true },
    ];
    Object.assign(process.env, {
      MONITORED_KEYS: JSON.stringify(keys),
      EXCHANGE_BASE_URL: sandbox.baseUrl(),
      IP_ECHO_URL: sandbox.ipEchoUrl,
      EXPECTED_EGRESS_IP: '203.0.113.7',
      SECRET_CACHE_TTL_MS: '1',
      CHECK_TIMEOUT_MS: '2000',
      POWERTOOLS_METRICS_NAMESPACE: 'KeyMonitorTest',
    });
    // Imported after the environment is set, as the Lambda runtime would load it.
    const { handler } = await import('../../src/handlers/check.js');
    invoke = () => captureOutput(() => handler(scheduledEvent, context));
  });

  afterAll(async () => {
    await Promise.all([moto?.stop(), sandbox?.close()]);
  });

  const emf = (docs: Record<string, unknown>[]) => docs.filter((d) => '_aws' in d);
  const logs = (docs: Record<string, unknown>[]) => docs.filter((d) => 'level' in d && 'message' in d);

  it('records health, failure reason and a runbook log line per key, and a heartbeat', async () => {
    const { docs, value } = await invoke();
    const expected: Record<string, string> = {
      main: 'OK',
      whitelist: 'IP_NOT_WHITELISTED',
      noTrade: 'TRADE_PERMISSION_MISSING',
      reporting: 'OK',
      revoked: 'AUTH_FAILED',
      garbled: 'CREDENTIALS_MALFORMED',
      placeholder: 'CREDENTIALS_MISSING',
      gone: 'SECRET_NOT_READABLE',
      rotating: 'AUTH_FAILED',
      binary: 'CREDENTIALS_MALFORMED',
    };
    expect(value).toMatchObject({
      checked: 10,
      unhealthy: Object.entries(expected)
        .filter(([, d]) => d !== 'OK')
        .map(([key, diagnosis]) => ({ key, diagnosis })),
    });

    // Per key: one log line with the diagnosis and the fix (history lives in the log and the store).
    for (const [key, diagnosis] of Object.entries(expected)) {
      const line = logs(docs).find((d) => d['key'] === key);
      expect(line?.['diagnosis'], key).toBe(diagnosis);
      expect(line?.['level']).toBe(diagnosis === 'OK' ? 'INFO' : 'WARN');
    }
    // Metrics: the fixed aggregate set, no per-key dimension anywhere.
    const metricDocs = emf(docs);
    for (const d of metricDocs) {
      const meta = (d['_aws'] as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] }).CloudWatchMetrics[0];
      expect(meta?.Namespace).toBe('KeyMonitorTest');
      expect(meta?.Dimensions.flat().every((dim) => dim === 'service' || dim === 'Diagnosis')).toBe(true);
      expect(d).not.toHaveProperty('Key');
    }
    const heartbeat = metricDocs.find((d) => 'KeysChecked' in d);
    expect(heartbeat?.['KeysChecked']).toBe(10);
    expect(heartbeat?.['KeysUnhealthy']).toBe(8);
    expect(heartbeat?.['service']).toBe('exchange-key-monitor');
    const byDiagnosis = Object.fromEntries(metricDocs.filter((d) => 'UnhealthyKeys' in d).map((d) => [d['Diagnosis'], d['UnhealthyKeys']]));
    expect(byDiagnosis).toEqual({
      IP_NOT_WHITELISTED: 1,
      TRADE_PERMISSION_MISSING: 1,
      AUTH_FAILED: 2,
      CREDENTIALS_MALFORMED: 2,
      CREDENTIALS_MISSING: 1,
      SECRET_NOT_READABLE: 1,
    });
    const latencies = metricDocs.flatMap((d) => ('ExchangeLatency' in d ? [d['ExchangeLatency']].flat() : []));
    expect(latencies.length).toBeGreaterThanOrEqual(4);
    const healthy = logs(docs).find((d) => d['key'] === 'main');
    expect(healthy?.['keyAgeDays']).toBe(0);

    const ipLine = logs(docs).find((d) => d['key'] === 'whitelist');
    expect(String(ipLine?.['advice'])).toContain('Add 203.0.113.7 to the key’s IP whitelist');
    const gone = logs(docs).find((d) => d['key'] === 'gone');
    expect(String(gone?.['advice'])).toContain('secret ekm/does-not-exist does not exist');
    const placeholder = logs(docs).find((d) => d['key'] === 'placeholder');
    expect(String(placeholder?.['advice'])).toContain('the secret still holds empty values');
    // A value stored as SecretBinary is there, in a form that cannot be read: said so, not "no value yet".
    const binary = logs(docs).find((d) => d['key'] === 'binary');
    expect(String(binary?.['advice'])).toContain('the secret holds binary data (SecretBinary); store the key as a JSON SecretString');
  });

  it('asks the key-independent IP echo and ticker once per run, not once per key', async () => {
    const from = sandbox.requests.length;
    await invoke();
    const sent = sandbox.requests.slice(from);
    expect(sent.filter((r) => r.method === 'public/get-tickers')).toHaveLength(1);
    expect(sent.filter((r) => r.method === 'ip-echo')).toHaveLength(1);
    expect(sent.filter((r) => r.method === 'private/user-balance').length).toBeGreaterThan(3);
  });

  it('picks up a rotated secret on the next run', async () => {
    await sm.send(new PutSecretValueCommand({ SecretId: 'ekm/rotating', SecretString: put('healthy') }));
    await new Promise((r) => setTimeout(r, 5));
    const { docs } = await invoke();
    expect(logs(docs).find((d) => d['key'] === 'rotating')?.['diagnosis']).toBe('OK');
  });

  it('never writes a secret, a signature or a full key to the log', async () => {
    const from = sandbox.requests.length;
    const { raw } = await invoke();
    const sigs = sandbox.requests
      .slice(from)
      .map((r) => r.sig)
      .filter((s): s is string => typeof s === 'string');
    expect(sigs.length).toBeGreaterThan(5);
    for (const b of ['healthy', 'ip-not-whitelisted', 'read-only', 'bad-secret'] as const) {
      const { apiKey, apiSecret } = sandbox.credentials(b);
      expect(raw).not.toContain(apiSecret);
      expect(raw).not.toContain(apiKey);
    }
    for (const sig of sigs) expect(raw).not.toContain(sig);
    expect(raw).not.toContain('apikey=abc');
  });

  it('one stalled Secrets Manager read affects only its key: the others are checked, logged and metered', async () => {
    const proxy = await startStallingProxy(moto.endpoint, ['ekm/ip']);
    const config = loadRuntimeConfig(process.env);
    const target = lambdaCheckTarget(config);
    const { buildCheckHandler } = await import('../../src/handlers/check.js');
    const client = new SecretsManagerClient({ ...awsClientOptions(300), endpoint: proxy.endpoint });
    const stalledHandler = buildCheckHandler(() => ({ config, secrets: new CachedSecrets(client, 1, Date.now, 800), target, now: Date.now, incidents: null }));
    const started = Date.now();
    const { value, docs } = await captureOutput(() => stalledHandler(scheduledEvent, context));
    await proxy.close();
    client.destroy();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(proxy.stalled).toBeGreaterThan(0);
    const diagnoses = Object.fromEntries(logs(docs).map((d) => [d['key'], d['diagnosis']]));
    expect(diagnoses['whitelist']).toBe('SECRET_STORE_UNAVAILABLE');
    expect(diagnoses['main']).toBe('OK');
    expect(diagnoses['noTrade']).toBe('TRADE_PERMISSION_MISSING');
    expect(diagnoses['revoked']).toBe('AUTH_FAILED');
    expect((value as { checked: number }).checked).toBe(10);
    expect(logs(docs).filter((d) => typeof d['diagnosis'] === 'string')).toHaveLength(10);
    expect(emf(docs).find((d) => 'KeysChecked' in d)?.['KeysChecked']).toBe(10);
    const stalled = logs(docs).find((d) => d['key'] === 'whitelist');
    expect(String(stalled?.['advice'])).toContain('did not answer in time');
  });
});
