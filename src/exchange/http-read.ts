import type { Dispatcher } from 'undici';

/**
 * What every undici request of ours needs the same way (exchange calls and channel deliveries):
 * a reply body read up to a cap (a hostile or broken server cannot make us hold megabytes), and
 * the errors that mean "timed out" rather than "could not connect".
 */
export async function readCapped(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<string> {
  return (await readCappedText(body, maxBytes)).text;
}

/** The body up to `maxBytes`, and whether there was more (then the rest is not read). */
export async function readCappedText(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<{ text: string; overCap: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let overCap = false;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    const room = maxBytes - size;
    if (buf.length > room) {
      chunks.push(buf.subarray(0, room));
      size = maxBytes;
      overCap = true;
      body.destroy();
      break;
    }
    chunks.push(buf);
    size += buf.length;
  }
  return { text: Buffer.concat(chunks).toString('utf8'), overCap };
}

/** An abort by our own deadline, or undici's connect, headers or body timeout. */
export function isTimeoutError(err: unknown): boolean {
  const e = err as { name?: unknown; code?: unknown } | null;
  return e?.name === 'TimeoutError' || e?.name === 'AbortError' || (typeof e?.code === 'string' && /^UND_ERR_(CONNECT|HEADERS|BODY)_TIMEOUT$/.test(e.code));
}
