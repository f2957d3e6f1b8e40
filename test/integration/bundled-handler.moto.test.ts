import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/exchange.js';
import { startMoto, toolMissing, useEmulator, type Moto } from '../support/moto.js';

// The prebuilt check bundle as Lambda runs it: the asset folder on its own (index.mjs, the chunks it
// loads, undici's parser beside it), the AWS SDK from the runtime's path (NODE_PATH here), run in a
// fresh process. The source-level tests never see a chunk that is missing or a file Node reads as
// the wrong module type.
const skip = toolMissing('moto_server');
const ROOT = process.cwd();

describe.skipIf(skip)('the bundled check handler, run from its asset folder', () => {
  let moto: Moto;
  let sandbox: Sandbox;
  const work = mkdtempSync(join(tmpdir(), 'ekm-bundle-'));

  beforeAll(async () => {
    [moto, sandbox] = await Promise.all([startMoto(), startSandbox()]);
    useEmulator(moto.endpoint);
    const sm = new SecretsManagerClient({});
    await sm.send(new CreateSecretCommand({ Name: 'bundle/healthy', SecretString: JSON.stringify(sandbox.credentials('healthy')) }));
    await sm.send(new CreateSecretCommand({ Name: 'bundle/revoked', SecretString: JSON.stringify(sandbox.credentials('bad-secret')) }));
    sm.destroy();
  });

  afterAll(async () => {
    rmSync(work, { recursive: true, force: true });
    await Promise.all([moto?.stop(), sandbox?.close()]);
  });

  // Asynchronous: the sandbox answers from this process's event loop.
  async function runFrom(dir: string) {
    cpSync(join(ROOT, 'dist/lambda/check'), dir, { recursive: true });
    const out = join(work, `result-${Math.random().toString(36).slice(2)}.json`);
    const child = spawn(process.execPath, [join(ROOT, 'scripts/bench-child.mjs'), 'run', join(dir, 'index.mjs'), out, '1'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        NODE_PATH: join(ROOT, 'node_modules'),
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        MONITORED_KEYS: JSON.stringify([
          { name: 'healthy', secretId: 'bundle/healthy', expectTrade: true },
          { name: 'revoked', secretId: 'bundle/revoked', expectTrade: true },
        ]),
        EXCHANGE_BASE_URL: sandbox.baseUrl(),
        IP_ECHO_URL: sandbox.ipEchoUrl,
        EXPECTED_EGRESS_IP: sandbox.egressIp,
        BENCH_REMAINING_MS: '60000',
      },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(status, stderr).toBe(0);
    return JSON.parse(readFileSync(out, 'utf8')) as { first: { outcome: { checked: number; unhealthyByDiagnosis: Record<string, number> } } };
  }

  it('checks its keys from a folder outside any package, as in /var/task', async () => {
    const result = await runFrom(join(work, 'task'));
    expect(result.first.outcome).toMatchObject({ checked: 2, unhealthyByDiagnosis: { AUTH_FAILED: 1 } });
  });

  it('and from a folder under a package.json that says "type": "module" (a CDK app staging it)', async () => {
    const app = join(work, 'app');
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', type: 'module' }));
    const result = await runFrom(join(app, 'cdk.out', 'asset'));
    expect(result.first.outcome).toMatchObject({ checked: 2, unhealthyByDiagnosis: { AUTH_FAILED: 1 } });
  });
});
