import { open } from 'node:fs/promises';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MAX_KEY_INPUT_BYTES } from '../contract/defaults.js';
import { displaySafe } from '../exchange/text-safety.js';
import { keyPrefix, parseSecretString } from '../monitor/credentials.js';
import { DIAGNOSIS_TABLE } from '../monitor/diagnosis-table.js';
import type { Diagnosis } from '../monitor/types.js';
import { keyChange, PENDING, ROTATION_STOP_TITLES, STAGED, unfinishedPendingVersion, type KeyChange } from '../monitor/rotation-rules.js';
import type { RotateOptions } from './args.js';
import type { Io } from './io.js';

export interface RotateDeps {
  /** The new key's JSON: at most MAX_KEY_INPUT_BYTES, or an error. */
  readonly readInput: (file: string | undefined) => Promise<string>;
  /** Built on demand: the SDK loads only when a rotation really starts. */
  readonly secretsManager?: () => Promise<SecretsManagerClient>;
  readonly pollMs?: number;
  readonly now?: () => number;
}

export const ROTATE_EXIT = { promoted: 0, refused: 1, badInput: 2, stillRunning: 3 } as const;

class InputTooLarge extends Error {
  override readonly name = 'InputTooLarge';
}

/** Read a stream up to the limit; a larger input is refused, not truncated. */
async function readBounded(stream: AsyncIterable<Buffer | string>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buf.length;
    if (size > MAX_KEY_INPUT_BYTES) throw new InputTooLarge();
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readInput(file: string | undefined): Promise<string> {
  if (file) {
    const handle = await open(file, 'r');
    try {
      return await readBounded(handle.createReadStream({ end: MAX_KEY_INPUT_BYTES }));
    } finally {
      await handle.close();
    }
  }
  if (process.stdin.isTTY) process.stderr.write('Paste the new key as {"apiKey":"…","apiSecret":"…"}, then press Ctrl-D:\n');
  return readBounded(process.stdin);
}

/** An AWS error as one line: its name only (messages can quote ARNs and policies). */
function awsProblem(err: unknown): string {
  const name = (err as { name?: string } | null)?.name ?? 'Error';
  if (name === 'ResourceNotFoundException') return 'the secret does not exist';
  if (name === 'AccessDeniedException')
    return 'access denied (your AWS identity needs secretsmanager:PutSecretValue, RotateSecret and DescribeSecret on it, and lambda:InvokeFunction on the rotation function)';
  return displaySafe(name, 80);
}

/**
 * The new key against the one live now, or null when the live value cannot be read here (the
 * rotation Lambda compares them again before it promotes anything).
 */
async function compareWithCurrent(
  versions: { valueOf(id: string): Promise<string | undefined | null> },
  currentVersionId: string,
  next: string,
  io: Io,
): Promise<KeyChange | null> {
  try {
    return keyChange(next, await versions.valueOf(currentVersionId));
  } catch (err) {
    const name = (err as { name?: string } | null)?.name ?? 'Error';
    const why = name === 'AccessDeniedException' ? 'access denied: that needs secretsmanager:GetSecretValue on the secret' : displaySafe(name, 80);
    io.out(`Could not read the current key to compare it with the new one (${why}); the rotation Lambda refuses the same key itself.\n`);
    return null;
  }
}

/**
 * `key-monitor rotate`: stage the new key under the KEYMONITOR_STAGED label and start the secret's
 * rotation, so the deployed rotation Lambda validates it from the fixed IP; then wait for its
 * verdict, which the Lambda leaves as a tag on the secret.
 */
export async function rotateCommand(opts: RotateOptions, io: Io, deps: RotateDeps = { readInput }): Promise<number> {
  const now = deps.now ?? Date.now;
  let text: string;
  try {
    text = await deps.readInput(opts.file);
  } catch (err) {
    const why =
      err instanceof InputTooLarge ? `more than ${MAX_KEY_INPUT_BYTES / 1024} KB; a key pair is about 100 bytes` : ((err as { code?: string }).code ?? 'error');
    io.err(`key-monitor: cannot read ${opts.file ? displaySafe(opts.file, 120) : 'standard input'} (${why}); nothing was staged\n`);
    return ROTATE_EXIT.badInput;
  }
  if (text.trim() === '') {
    const from = opts.file ? `${displaySafe(opts.file, 120)} is empty` : 'standard input was empty';
    io.err(`key-monitor: no new key was given (${from}): give {"apiKey":"…","apiSecret":"…"}; nothing was staged\n`);
    return ROTATE_EXIT.badInput;
  }
  const verdict = parseSecretString(text);
  if (!verdict.ok) {
    io.err(`key-monitor: the new key is not usable, nothing was staged: ${verdict.detail}\n`);
    return ROTATE_EXIT.badInput;
  }
  const staged = verdict.credentials;
  const prefix = keyPrefix(staged.apiKey);
  const { SecretVersions } = await import('../aws/secret-versions.js');
  const sm = deps.secretsManager ? await deps.secretsManager() : (await import('../aws/secrets.js')).secretsManagerClient();
  const versions = new SecretVersions(sm, opts.secretId);
  try {
    let token: string | undefined;
    let stagedVersion: string | undefined;
    let change: KeyChange | null = null;
    try {
      const before = await versions.status();
      let fn = opts.rotationFunction ?? before.rotationLambdaArn;
      if (!fn) {
        // The first rotation of this secret: the deployed stack names its rotation function.
        const { findDeployedMonitor } = await import('../aws/stack-outputs.js');
        fn = (await findDeployedMonitor(opts.stack, 5_000).catch(() => null))?.rotationFunctionArn ?? undefined;
      }
      if (!fn) {
        io.err(
          `key-monitor: ${displaySafe(opts.secretId, 120)} has no rotation function yet, and stack ${displaySafe(opts.stack, 80)} could not be read to find it: ` +
            'pass --rotation-function with the stack’s RotationFunctionArn output, or --stack NAME (once; the secret remembers it). Nothing was staged.\n',
        );
        return ROTATE_EXIT.badInput;
      }
      if (!before.currentVersionId) {
        // Secrets Manager makes the first value of a secret AWSCURRENT at once: staging it would put an unchecked key live.
        io.err(
          `key-monitor: ${displaySafe(opts.secretId, 120)} has no current key yet, and its first value goes live at once, unchecked. ` +
            `Check the key first (key-monitor check with EXCHANGE_API_KEY/EXCHANGE_API_SECRET set, from the egress IP), then put it with ` +
            `aws secretsmanager put-secret-value --secret-id ${displaySafe(opts.secretId, 120)} --secret-string file://new-key.json. Nothing was staged.\n`,
        );
        return ROTATE_EXIT.badInput;
      }
      change = await compareWithCurrent(versions, before.currentVersionId, JSON.stringify(staged), io);
      if (change?.kind === 'same-key') {
        // Announced as a new key, it would have the operator delete the live key on the exchange.
        io.err(
          `key-monitor: key ${prefix}… with this secret is already the current key of ${displaySafe(opts.secretId, 120)} (version ${displaySafe(before.currentVersionId, 64)}): ` +
            `same key, nothing changed. Nothing was staged. Keep key ${prefix}…: it is the live key. To rotate it, create a new key on Crypto.com Exchange ` +
            '(Settings → API Keys), whitelist the egress IP on it and stage that one.\n',
        );
        return ROTATE_EXIT.refused;
      }
      if (change?.kind === 'secret-replaced') {
        io.out(
          `Same key ${prefix}… with another secret: once the rotation has checked it, only the stored secret changes (there is no old key to delete on the exchange).\n`,
        );
      }
      const unfinished = unfinishedPendingVersion(before.versions);
      if (unfinished) {
        // RotateSecret will not start while it is there; our rotation steps refuse a version without it, so clearing promotes nothing.
        await versions.removeStage(PENDING, unfinished);
        io.out(`Cleared an unfinished earlier rotation (version ${displaySafe(unfinished, 64)} was still AWSPENDING; it was never made current).\n`);
      }
      stagedVersion = await versions.stage(JSON.stringify(staged));
      io.out(`Staged key ${prefix}… as ${STAGED} on ${displaySafe(opts.secretId, 120)} (version ${stagedVersion}).\n`);
      token = await versions.startRotation(before.rotationLambdaArn === fn ? undefined : fn);
    } catch (err) {
      const staging = stagedVersion
        ? ` The new key is staged (${STAGED}, version ${displaySafe(stagedVersion, 64)}) but was not checked or promoted; the current key is untouched. Fix this and run key-monitor rotate again.`
        : ' Nothing was staged.';
      io.err(`key-monitor: could not start the rotation of ${displaySafe(opts.secretId, 120)}: ${awsProblem(err)}.${staging}\n`);
      return ROTATE_EXIT.badInput;
    }
    io.out(`Rotation started (version ${token ?? 'unknown'}): the rotation Lambda now checks the key from the fixed egress IP.\n`);
    if (opts.waitSeconds === 0) {
      io.out('Not waiting: the verdict arrives on the alert channels and as the tag exchange-key-monitor:rotation on the secret.\n');
      // Nothing is known yet: not "promoted".
      return ROTATE_EXIT.stillRunning;
    }
    const started = now();
    const deadline = started + opts.waitSeconds * 1_000;
    while (now() < deadline) {
      await new Promise((r) => setTimeout(r, deps.pollMs ?? 3_000));
      let status;
      try {
        status = await versions.status();
      } catch (err) {
        io.out(`  … could not read the secret's status (${awsProblem(err)}); still waiting\n`);
        continue;
      }
      const mine = status.verdict && token !== undefined && status.verdict.token === token ? status.verdict : null;
      if (mine?.outcome === 'promoted' || (token !== undefined && status.currentVersionId === token)) {
        io.out(
          change?.kind === 'secret-replaced'
            ? `Promoted: the secret of key ${prefix}… was replaced; the previous value is kept as AWSPREVIOUS. There is no old key to delete on the exchange.\n`
            : `Promoted: key ${prefix}… is now AWSCURRENT; the previous key is kept as AWSPREVIOUS.\n`,
        );
        return ROTATE_EXIT.promoted;
      }
      if (mine) {
        const d = mine.diagnosis as Diagnosis;
        const title = DIAGNOSIS_TABLE[d]?.title ?? ROTATION_STOP_TITLES[mine.diagnosis] ?? mine.diagnosis;
        io.out(
          `Refused: ${mine.diagnosis} — ${title}. The current key is untouched.\n` +
            'The alert sent to your channels has the exact fix; after fixing, run key-monitor rotate again.\n',
        );
        return ROTATE_EXIT.refused;
      }
      io.out(`  … waiting for the rotation's verdict (${Math.round((now() - started) / 1000)} s)\n`);
    }
    io.out(
      `Still running after ${opts.waitSeconds} s: no verdict yet. The current key is untouched until the rotation promotes the new one; ` +
        'the verdict arrives on your alert channels and as the tag exchange-key-monitor:rotation on the secret.\n',
    );
    return ROTATE_EXIT.stillRunning;
  } finally {
    sm.destroy();
  }
}
