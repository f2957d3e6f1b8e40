/**
 * STOPGAP until `@aws-sdk/client-dynamodb` is a dependency: one DynamoDB API call over its JSON
 * 1.0 protocol, SigV4-signed with the SDK's own signer and credential chain. Inputs, outputs and
 * error names are the service's (the same the SDK client takes and throws), so swapping this for
 * `client.send(new XCommand(input), { abortSignal })` changes nothing above it.
 *
 * Like every AWS call here it ends: one attempt is bounded by AWS_CALL_TIMEOUT_MS and the caller's
 * signal (callWithDeadline), and only throttling, 5xx and network faults get a second attempt.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, SourceData } from '@smithy/types';
import { AWS_CALL_ATTEMPTS, AWS_CALL_TIMEOUT_MS } from '../contract/defaults.js';

/** One DynamoDB operation (`GetItem`, `PutItem`…) with its input as the API documents it. */
export type DynamoDbCall = (operation: string, input: Readonly<Record<string, unknown>>, signal: AbortSignal) => Promise<Record<string, unknown>>;

/** Shaped like an SDK service exception, so awsFault and `err.name` checks work the same. */
class DynamoDbServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { readonly httpStatusCode: number };
  constructor(name: string, status: number) {
    // Not the service's message: it can quote keys and ARNs.
    super(`DynamoDB ${name} (HTTP ${status})`);
    this.name = name;
    this.$fault = status >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode: status };
  }
}

const toBytes = (data: SourceData): Buffer =>
  typeof data === 'string' ? Buffer.from(data, 'utf8') : ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);

/** SHA-256 (or HMAC-SHA-256 with a secret) from node:crypto, as the signer wants it. */
class NodeSha256 implements Checksum {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(this.secret));
  }
  update(data: Uint8Array): void {
    this.hash.update(toBytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

const RETRYABLE = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'InternalServerError', 'ServiceUnavailable', 'TimeoutError', 'AbortError']);

function retryable(err: unknown, outer: AbortSignal): boolean {
  if (outer.aborted) return false;
  const e = err as { name?: string; $fault?: string; cause?: { code?: string } };
  return RETRYABLE.has(e.name ?? '') || e.$fault === 'server' || (e.name === 'TypeError' && typeof e.cause?.code === 'string');
}

function endpointFor(region: string): URL {
  const configured = process.env['AWS_ENDPOINT_URL_DYNAMODB'] ?? process.env['AWS_ENDPOINT_URL'];
  if (configured) return new URL(configured);
  return new URL(`https://dynamodb.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`);
}

export function dynamoDbJsonCall(opts: { timeoutMs?: number; attempts?: number } = {}): DynamoDbCall {
  const timeoutMs = opts.timeoutMs ?? AWS_CALL_TIMEOUT_MS;
  const attempts = opts.attempts ?? AWS_CALL_ATTEMPTS;
  const credentials = defaultProvider();
  let signer: { region: string; v4: SignatureV4 } | undefined;

  async function once(operation: string, body: string, signal: AbortSignal): Promise<Record<string, unknown>> {
    const region = process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'];
    // awsFault reads "region is missing" as its own fault.
    if (!region) throw new Error('Region is missing');
    if (signer?.region !== region) signer = { region, v4: new SignatureV4({ credentials, region, service: 'dynamodb', sha256: NodeSha256 }) };
    const url = endpointFor(region);
    const signed = await signer.v4.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname || '/',
      query: {},
      headers: { host: url.host, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${operation}` },
      body,
    });
    const res = await fetch(url, { method: 'POST', headers: signed.headers, body, signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
    const text = await res.text();
    let doc: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(text || '{}');
      if (parsed !== null && typeof parsed === 'object') doc = parsed as Record<string, unknown>;
    } catch {
      /* an HTML error page: judged by its status below */
    }
    if (res.ok) return doc;
    const type = typeof doc['__type'] === 'string' ? (doc['__type'] as string) : '';
    const name = type.slice(type.lastIndexOf('#') + 1).replace(/[^A-Za-z]/g, '').slice(0, 64) || (res.status >= 500 ? 'InternalServerError' : 'ValidationException');
    throw new DynamoDbServiceError(name, res.status);
  }

  return async (operation, input, signal) => {
    const body = JSON.stringify(input);
    for (let attempt = 1; ; attempt++) {
      try {
        return await once(operation, body, signal);
      } catch (err) {
        if (attempt >= attempts || !retryable(err, signal)) throw err;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 150));
      }
    }
  };
}
