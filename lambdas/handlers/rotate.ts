import '../aws/lean-runtime.js';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { lambdaCheckTarget, runChecks, type CheckTarget } from '../monitor/checks.js';
import { keyPrefix } from '../monitor/credentials.js';
import { lazily } from './lazily.js';
import { keyForSecret, loadRuntimeConfig, type RuntimeConfig } from '../monitor/runtime-config.js';
import type { Credentials, Report } from '../monitor/types.js';
import { publish } from '../aws/notifications.js';
import { logger } from '../aws/powertools.js';
import { CURRENT, PENDING, SecretVersions } from '../aws/secret-versions.js';

/**
 * Secrets Manager rotation for exchange keys, which cannot be minted by API: the operator stages the
 * new key as AWSPENDING; this Lambda validates it from the fixed egress IP and only then promotes it.
 * Every step is idempotent, because Secrets Manager retries them.
 */
export interface RotationEvent {
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly Step: 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';
}

export interface RotationDeps {
  readonly config: RuntimeConfig;
  readonly sm: SecretsManagerClient;
  readonly sns: SNSClient;
  /** The same egress expectations and client as the check Lambda: validation from the fixed IP. */
  readonly target: CheckTarget;
}

/** Why a rotation stopped. The message is the operator's next step; it never holds a secret. */
export class RotationError extends Error {
  override readonly name = 'RotationError';
  constructor(
    readonly reason: 'NOTHING_STAGED' | 'REFUSED' | 'NOT_MONITORED' | 'BAD_TOKEN',
    message: string,
    readonly report?: Report,
  ) {
    super(message);
  }
}

const stageHelp = (secretId: string) =>
  `Stage the new key first: aws secretsmanager put-secret-value --secret-id ${secretId} ` +
  `--secret-string file://new-key.json --version-stages AWSPENDING, then aws secretsmanager rotate-secret --secret-id ${secretId}.`;

async function notify(deps: RotationDeps, subject: string, message: string): Promise<void> {
  if (!deps.config.alertTopicArn) return;
  try {
    await publish(deps.sns, deps.config.alertTopicArn, subject, message);
  } catch (err) {
    // A failed notification must not turn a good rotation into a failed one.
    logger.error('could not publish rotation outcome', { errorName: (err as Error).name });
  }
}

/** createSecret: find the operator's staged key. Never invents one. */
async function createSecret(event: RotationEvent, versions: SecretVersions, deps: RotationDeps): Promise<void> {
  const staged = await versions.read({ versionId: event.ClientRequestToken, versionStage: PENDING });
  // A value under this very token (staged there, or copied by an earlier attempt): done. If it is
  // malformed, testSecret refuses it with the exact reason.
  if (staged.versionId !== null) return;

  // rotate-secret may have moved AWSPENDING onto a fresh, empty version: the operator's value is then
  // the newest unlabelled version written after the current one.
  const current = await versions.read({ versionStage: CURRENT });
  for (const versionId of await versions.unlabelledNewerThan(current.createdDate)) {
    if (versionId === event.ClientRequestToken) continue;
    const candidate = await versions.read({ versionId });
    if (!candidate.verdict.ok) continue;
    await versions.putPending(JSON.stringify(candidate.verdict.credentials), event.ClientRequestToken);
    logger.info('copied the staged key into the rotation version', { secretId: event.SecretId, from: versionId });
    return;
  }
  const message = `No new key is staged for ${event.SecretId}. ${stageHelp(event.SecretId)}`;
  await notify(deps, 'Key rotation refused: no staged key', message);
  throw new RotationError('NOTHING_STAGED', message);
}

function balancesText(report: Report): string {
  const b = report.checks.find((c) => c.balances)?.balances;
  return b ? `${b.count} balances (${b.valued} with a market value, total ${b.totalMarketValue.toFixed(2)} USD)` : 'balances not read';
}

/** testSecret: the full check, from the same fixed IP as production traffic, on the pending key. */
async function testSecret(event: RotationEvent, versions: SecretVersions, deps: RotationDeps): Promise<Report> {
  const key = keyForSecret(deps.config.keys, event.SecretId);
  if (!key) throw new RotationError('NOT_MONITORED', `${event.SecretId} is not one of this monitor's keys; refusing to rotate it.`);
  const pending = await versions.read({ versionId: event.ClientRequestToken, versionStage: PENDING });
  const report = await runChecks({ ...deps.target, credentials: pending.verdict, expectTrade: key.expectTrade });
  logger.info('pending key checked', { key: key.name, keyPrefix: report.keyPrefix, diagnosis: report.diagnosis });
  if (!report.healthy) {
    const message =
      `The new key ${report.keyPrefix ?? '(unreadable)'}… for "${key.name}" was NOT promoted: ${report.diagnosis} — ${report.title}.\n` +
      `Fix: ${report.advice}\n` +
      `The current key is untouched. After fixing, run aws secretsmanager rotate-secret --secret-id ${event.SecretId} again.`;
    await notify(deps, `Key rotation refused for ${key.name}: ${report.diagnosis}`, message);
    throw new RotationError('REFUSED', message, report);
  }
  return report;
}

/** finishSecret: move AWSCURRENT; the old version becomes AWSPREVIOUS, the backup. */
async function finishSecret(event: RotationEvent, versions: SecretVersions, deps: RotationDeps): Promise<void> {
  const current = await versions.currentVersionId();
  if (current === event.ClientRequestToken) return; // already promoted: a retried step
  await versions.promote(event.ClientRequestToken, current);
  const key = keyForSecret(deps.config.keys, event.SecretId);
  const now = await versions.read({ versionStage: CURRENT });
  const creds: Credentials | null = now.verdict.ok ? now.verdict.credentials : null;
  // A fresh read as the new AWSCURRENT: the evidence operators used to check by hand after a swap.
  const report = await runChecks({ ...deps.target, credentials: now.verdict, expectTrade: key?.expectTrade ?? true });
  const message =
    `Key "${key?.name ?? event.SecretId}" rotated: the new key ${keyPrefix(creds?.apiKey) ?? '?'}… is now AWSCURRENT; ` +
    `the previous version is kept as AWSPREVIOUS.\nCheck after promotion: ${report.diagnosis}; ${balancesText(report)}.`;
  logger.info('key promoted', { key: key?.name, keyPrefix: keyPrefix(creds?.apiKey), diagnosis: report.diagnosis });
  await notify(deps, `Key rotated for ${key?.name ?? 'secret'}`, message);
}

export async function rotate(event: RotationEvent, deps: RotationDeps): Promise<void> {
  const versions = new SecretVersions(deps.sm, event.SecretId);
  const stages = (await versions.stages())[event.ClientRequestToken];
  if (stages?.includes(CURRENT)) return; // this version is already live: every step is done
  if (event.Step !== 'createSecret' && !stages?.includes(PENDING)) {
    throw new RotationError('BAD_TOKEN', `Version ${event.ClientRequestToken} of ${event.SecretId} is not AWSPENDING. ${stageHelp(event.SecretId)}`);
  }
  switch (event.Step) {
    case 'createSecret':
      return createSecret(event, versions, deps);
    case 'setSecret':
      return; // nothing to set: the exchange holds the key already; only its validation matters
    case 'testSecret':
      await testSecret(event, versions, deps);
      return;
    case 'finishSecret':
      return finishSecret(event, versions, deps);
  }
}

const defaultDeps = lazily((): RotationDeps => {
  const config = loadRuntimeConfig(process.env);
  return {
    config,
    sm: new SecretsManagerClient({}),
    sns: new SNSClient({}),
    target: lambdaCheckTarget(config),
  };
});

export function buildRotationHandler(getDeps: () => RotationDeps = defaultDeps) {
  return middy(async (event: RotationEvent) => {
    logger.info('rotation step', { step: event.Step, secretId: event.SecretId, token: event.ClientRequestToken });
    await rotate(event, getDeps());
  }).use(injectLambdaContext(logger, { resetKeys: true }));
}

export const handler = buildRotationHandler();
