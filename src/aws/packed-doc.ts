/**
 * JSON documents packed with gzip for a binary attribute: the run records, rewritten whole every run
 * (ten items of 100–250 KB of JSON at 1,000 keys). Packed, they cost a fraction of the write capacity,
 * and the SDK sends them as base64 instead of escaping every quote of a JSON string inside its JSON
 * request, both ways.
 */
import { gunzipSync, gzipSync } from 'node:zlib';

/** Level 1: the text is repetitive (the same field names on every entry), so the fastest level already takes most of it. */
export function packDoc(json: string): Uint8Array {
  return gzipSync(json, { level: 1 });
}

/**
 * An item holds at most 400 KB; what unpacks to more than this is not a document this code wrote
 * (a shard is fitted to 350 KB of JSON), and is not unpacked further.
 */
const MAX_UNPACKED_BYTES = 4 * 1024 * 1024;

/** The packed text, or null when it is not gzip or unpacks to more than any document written. */
export function unpackDoc(packed: Uint8Array): string | null {
  try {
    return gunzipSync(packed, { maxOutputLength: MAX_UNPACKED_BYTES }).toString('utf8');
  } catch {
    return null;
  }
}
