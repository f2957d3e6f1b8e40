/**
 * The channels secret (tokens and webhook URLs, JSON) read from Secrets Manager at send time and
 * kept at most a few minutes in a warm Lambda, so a rotated webhook is used within that time. Only
 * a successful read is kept. Nothing here logs or returns the value except to the channel builder.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ChannelsSecretRead, ChannelsSecretSource } from '../monitor/ports.js';
import { awsCallDeadlineMs, awsFault, callWithDeadline } from './aws-calls.js';

/** A changed token or webhook is in use within this long. */
const CHANNELS_SECRET_TTL_MS = 5 * 60_000;

export class CachedChannelsSecret implements ChannelsSecretSource {
  private cached: { at: number; json: string | undefined } | undefined;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string | undefined,
    private readonly ttlMs: number = CHANNELS_SECRET_TTL_MS,
    private readonly now: () => number = Date.now,
    private readonly deadlineMs: number = awsCallDeadlineMs(),
  ) {}

  async read(): Promise<ChannelsSecretRead> {
    if (!this.secretId) return { ok: true, json: undefined };
    if (this.cached && this.now() - this.cached.at < this.ttlMs) return { ok: true, json: this.cached.json };
    const secretId = this.secretId;
    try {
      const out = await callWithDeadline(
        (abortSignal) => this.client.send(new GetSecretValueCommand({ SecretId: secretId }), { abortSignal }),
        this.deadlineMs,
      );
      this.cached = { at: this.now(), json: out.SecretString };
      return { ok: true, json: out.SecretString };
    } catch (err) {
      this.cached = undefined;
      const { fault, errorName } = awsFault(err);
      return { ok: false, fault, errorName };
    }
  }
}
