import { readFile } from 'node:fs/promises';
import { keyPrefix, parseSecretString } from '../monitor/credentials.js';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { RotateOptions } from './args.js';
import type { Io } from './key-monitor.js';

export interface RotateDeps {
  readonly readInput: () => Promise<string>;
  /** Built on demand: the SDK loads only when a rotation really starts. */
  readonly secretsManager?: () => Promise<SecretsManagerClient>;
  readonly pollMs?: number;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Paste the new key as {"apiKey":"…","apiSecret":"…"}, then press Ctrl-D:\n');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** An AWS error as one line: its name and, for request errors, the service's own sentence. */
function awsProblem(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return e.name === 'ResourceNotFoundException' ? 'the secret does not exist' : `${e.name ?? 'Error'}: ${e.message ?? ''}`.trim();
}

/**
 * `key-monitor rotate`: stage the new key as AWSPENDING and start the secret's rotation, so the
 * deployed rotation Lambda validates it from the fixed IP; then wait for its verdict.
 */
export async function rotateCommand(opts: RotateOptions, io: Io, deps: RotateDeps = { readInput: readStdin }): Promise<number> {
  let text: string;
  try {
    text = opts.file ? await readFile(opts.file, 'utf8') : await deps.readInput();
  } catch (err) {
    io.err(`key-monitor: cannot read ${opts.file ?? 'standard input'} (${(err as { code?: string }).code ?? 'error'})\n`);
    return 2;
  }
  const verdict = parseSecretString(text);
  if (!verdict.ok) {
    io.err(`key-monitor: the new key is not usable, nothing was staged: ${verdict.detail}\n`);
    return 2;
  }
  const staged = verdict.credentials;
  const prefix = keyPrefix(staged.apiKey);
  const { SecretVersions, CURRENT } = await import('../aws/secret-versions.js');
  const sm = deps.secretsManager ? await deps.secretsManager() : new (await import('@aws-sdk/client-secrets-manager')).SecretsManagerClient({});
  const versions = new SecretVersions(sm, opts.secretId);
  try {
    let before: string | undefined;
    let started: string | undefined;
    try {
      before = await versions.currentVersionId();
      const stagedVersion = await versions.putPending(JSON.stringify(staged));
      io.out(`Staged key ${prefix}… as AWSPENDING on ${opts.secretId} (version ${stagedVersion}).\n`);
      started = await versions.startRotation();
    } catch (err) {
      io.err(`key-monitor: could not start the rotation of ${opts.secretId}: ${awsProblem(err)}\n`);
      return 2;
    }
    io.out(`Rotation started (version ${started ?? 'unknown'}): the rotation Lambda now checks the key from the fixed egress IP.\n`);
    if (opts.waitSeconds === 0) {
      io.out('Not waiting: the verdict arrives by email on the alerts topic.\n');
      return 0;
    }
    const deadline = Date.now() + opts.waitSeconds * 1_000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, deps.pollMs ?? 3_000));
      if ((await versions.currentVersionId()) === before) continue;
      // AWSCURRENT moved: promoted only if what is current now is the key we staged.
      const now = await versions.read({ versionStage: CURRENT });
      const promoted = now.verdict.ok && now.verdict.credentials.apiKey === staged.apiKey && now.verdict.credentials.apiSecret === staged.apiSecret;
      if (promoted) {
        io.out(`Promoted: key ${prefix}… is now AWSCURRENT; the previous key is kept as AWSPREVIOUS.\n`);
        return 0;
      }
      io.out('AWSCURRENT changed, but not to the staged key: another rotation or write happened meanwhile. Check the secret.\n');
      return 1;
    }
    io.out(
      `Not promoted within ${opts.waitSeconds} s: the key was refused or the rotation is still running. The current key is ` +
        'untouched. The alert email (and the RotationFunction log) names the diagnosis and its fix.\n',
    );
    return 1;
  } finally {
    sm.destroy();
  }
}
