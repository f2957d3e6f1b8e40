/**
 * Text that arrives from outside (exchange messages, HTML pages, AWS error names) is shown in a
 * terminal, logs and alerts. Before it goes anywhere it becomes one printable line: no control
 * characters (ESC sequences could repaint a terminal, a CR or newline could forge a "Diagnosis: OK"
 * line), no invisible or bidirectional-override characters, and nothing that looks like a
 * signature (an exchange that echoes the request would otherwise hand it back to us).
 */

// C0 (except space), DEL, C1, zero-width and bidi controls, line/paragraph separators, BOM.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g;
/** A run of 32+ hex digits: an HMAC signature (64) or a hash-like token; nothing we need to show. */
const HEX_RUN = /[0-9a-fA-F]{32,}/g;

export const REDACTED = '[redacted]';

function dropTrailingHex(text: string): string {
  let end = text.length;
  while (end > 0 && /[0-9a-fA-F]/.test(text[end - 1] as string)) end--;
  return text.slice(0, end);
}

/** At most `max` characters (UTF-16 units), a cut marked with an ellipsis; never half of a surrogate pair. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

export function displaySafe(text: string, maxLength = 200): string {
  // Bounded input first: everything below is linear, but there is no reason to scan megabytes. A hex
  // run the cut goes through is dropped whole: its visible part could be a signature's first digits.
  const bound = Math.max(maxLength * 4, 1_024);
  const head = text.length > bound ? dropTrailingHex(text.slice(0, bound)) : text;
  const flat = head.replace(UNPRINTABLE, ' ').replace(HEX_RUN, REDACTED).replace(/\s+/g, ' ').trim();
  return clip(flat, maxLength);
}

/** What must not show: the API key beyond a 4-character run, and any 8-character run of the others. */
export interface SensitiveValues {
  /** The exchange API key: its first 4 characters name it in every report, so a 4-character run may show. */
  readonly apiKey?: string | null | undefined;
  /** The API secret, a proxy token, anything else that is a credential. */
  readonly secrets?: readonly (string | null | undefined)[];
}

/** The shortest run of the API key that is masked: anything longer than the 4 characters a report shows. */
export const KEY_RUN = 5;
/** The shortest run of a secret or token that is masked. */
export const SECRET_RUN = 8;
/**
 * Runs that survive only because separators were put between their pieces (`sbxA-bCdE-f012`, a secret
 * split by spaces) are caught on the text with separators removed. For a secret, from 8 characters on;
 * for the key, from 6: pieces of 3 would otherwise show 6 characters. The cost is on the safe side: a
 * shown 4-character prefix whose next two letters happen to continue the key is masked too.
 */
const SPLIT_RUN = 8;
const KEY_SPLIT_RUN = 6;
/**
 * Encoded spellings (base64 and base64url at every byte alignment, hex) are masked from 7 base64 or 10
 * hex characters on: about 5 bytes of the value, the key's limit, applied to secrets too.
 */
const BASE64_RUN = 7;
const HEX_RUN_OF_VALUE = 10;

const ALPHANUMERIC = /[A-Za-z0-9]/;

// ASCII case folding keeps every index where it was; credentials are printable ASCII. Text that is
// all ASCII folds the same with toLowerCase (far cheaper than a callback per capital).
// eslint-disable-next-line no-control-regex
const NOT_ASCII = /[^\u0000-\u007f]/;
const fold = (text: string) => (NOT_ASCII.test(text) ? text.replace(/[A-Z]/g, (c) => c.toLowerCase()) : text.toLowerCase());

/** The spellings a value takes in echoed text: as is, URL-encoded, JSON-escaped. */
function spellings(value: string): string[] {
  return [...new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1), value.replace(/\//g, '\\/')].map(fold))];
}

/**
 * The value base64-encoded as part of a longer text (a `Proxy-Authorization: Basic` header echoed by a
 * proxy page, a token a server wraps): its characters depend on where the value starts within a
 * 3-byte group, so every alignment is kept, without the characters it shares with its neighbours.
 */
function encodedSpellings(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const out = [bytes.toString('hex'), Buffer.from(value, 'utf16le').swap16().toString('hex')];
  for (let lead = 0; lead < 3; lead++) {
    const encoded = Buffer.concat([Buffer.alloc(lead), bytes])
      .toString('base64')
      .replace(/=+$/, '');
    const start = Math.ceil((lead * 8) / 6);
    const end = (lead + bytes.length) % 3 === 0 ? encoded.length : encoded.length - 1;
    const core = encoded.slice(start, end);
    out.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return out.map(fold);
}

function runsOf(value: string, run: number, into: Set<string> = new Set()): Set<string> {
  for (let i = 0; i + run <= value.length; i++) into.add(value.slice(i, i + run));
  return into;
}

/**
 * Runs to find, kept small: a warm Lambda holds one redactor per key for its lifetime, so 1,000 keys
 * hold 1,000 of them. Each run is a 32-bit hash in a sorted array (a collision can only mask a
 * harmless window, never let a run through), and the neighbouring-character pairs of every run of
 * every set share one table, a bit per set: the cheap filter that spares ordinary text the exact test.
 */
interface RunSet {
  readonly run: number;
  /** This set's bit in the shared pair table. */
  readonly bit: number;
  readonly hashes: Uint32Array;
}

/** A pair of neighbouring character codes as a slot of a 4,096-entry table (collisions only let more windows through). */
const pairSlot = (a: number, b: number) => ((a * 67) ^ b) & 0xfff;

/** FNV-1a over character codes, the same for a string and for characters gathered from a text. */
const FNV_OFFSET = 0x811c9dc5;
const fnvStep = (h: number, c: number) => Math.imul(h ^ c, 0x01000193) >>> 0;

function hashOf(text: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) h = fnvStep(h, text.charCodeAt(i));
  return h;
}

function has(hashes: Uint32Array, h: number): boolean {
  let lo = 0;
  let hi = hashes.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = hashes[mid] as number;
    if (v === h) return true;
    if (v < h) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

function runSet(run: number, bit: number, runs: ReadonlySet<string>, pairs: Uint8Array): RunSet {
  for (const r of runs) for (let i = 0; i + 1 < r.length; i++) pairs[pairSlot(r.charCodeAt(i), r.charCodeAt(i + 1))]! |= bit;
  return { run, bit, hashes: Uint32Array.from([...runs].map(hashOf)).sort() };
}

/**
 * Mark every window of `set.run` characters of `text` that is one of its runs. A window can match
 * only where each neighbouring pair in it occurs in some run of the set: windows that fail that
 * (almost all of ordinary text) are never hashed and looked up.
 */
function markRuns(text: string, set: RunSet, pairs: Uint8Array, marked: Uint8Array): boolean {
  const { run, bit, hashes } = set;
  if (hashes.length === 0 || text.length < run) return false;
  let streak = 0;
  let found = false;
  for (let e = 1; e < text.length; e++) {
    streak = (pairs[pairSlot(text.charCodeAt(e - 1), text.charCodeAt(e))] as number) & bit ? streak + 1 : 0;
    if (streak < run - 1) continue;
    const i = e - run + 1;
    let h = FNV_OFFSET;
    for (let j = i; j <= e; j++) h = fnvStep(h, text.charCodeAt(j));
    if (!has(hashes, h)) continue;
    found = true;
    marked.fill(1, i, i + run);
  }
  return found;
}

/**
 * Like markRuns, on the letters and digits of `text` only: a run cut into pieces by separators is
 * found where its pieces are, without building the text with the separators taken out.
 */
function markSplitRuns(text: string, set: RunSet, pairs: Uint8Array, marked: Uint8Array): boolean {
  const { run, bit, hashes } = set;
  if (hashes.length === 0 || text.length < run) return false;
  // Where the last `run` letters and digits are, as a ring.
  const at = new Int32Array(run);
  let count = 0;
  let streak = 0;
  let previous = -1;
  let found = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57))) continue;
    if (previous >= 0) streak = (pairs[pairSlot(previous, c)] as number) & bit ? streak + 1 : 0;
    previous = c;
    at[count % run] = i;
    count++;
    if (streak < run - 1) continue;
    let h = FNV_OFFSET;
    for (let k = count - run; k < count; k++) h = fnvStep(h, text.charCodeAt(at[k % run] as number));
    if (!has(hashes, h)) continue;
    found = true;
    for (let k = 0; k < run; k++) marked[at[k] as number] = 1;
  }
  return found;
}

/** A text with character escapes decoded, and for each of its characters the span of the original it came from. */
interface Decoded {
  readonly text: string;
  readonly from: Int32Array;
  readonly to: Int32Array;
}

/**
 * Character escapes an echo can hide a value behind: `&#65;` (or without the `;`, as HTML allows),
 * `&#x41;`, `\u0041`, `\u{41}`, `\x41`, `\101` (octal), `%41`, `=41` (quoted-printable), and `&amp;`, the
 * first layer of an escaped escape (`&amp;#65;`). Matched on folded text: hex digits are lower case.
 */
const ESCAPE =
  /&#(\d{1,7});?|&#x([0-9a-f]{1,6});?|\\u\{([0-9a-f]{1,6})\}|\\u([0-9a-f]{4})|\\x([0-9a-f]{2})|%([0-9a-f]{2})|=([0-9a-f]{2})|\\([0-7]{3})|(&amp;)/y;
// Only characters whose compatibility form is an ASCII letter or digit (fullwidth forms, mathematical
// alphanumerics, enclosed and super/subscript digits) can spell a credential: the "…" and "’" of
// ordinary text do not cost a decoding pass.
const MAY_BE_ESCAPED =
  /&#|&amp;|\\u|\\x|\\[0-7]{3}|%[0-9a-f]{2}|=[0-9a-f]{2}|[\uff10-\uff5a]|\ud835[\udc00-\udfff]|[\u2460-\u24ff]|[\u00b2\u00b3\u00b9\u2070-\u209f]/;

/**
 * The text with character escapes decoded and compatibility forms (fullwidth letters, mathematical
 * alphanumerics) folded to ASCII, or null when there is nothing to decode.
 */
function decodedOf(folded: string): Decoded | null {
  if (!MAY_BE_ESCAPED.test(folded)) return null;
  const from: number[] = [];
  const to: number[] = [];
  let out = '';
  for (let i = 0; i < folded.length;) {
    ESCAPE.lastIndex = i;
    const m = ESCAPE.exec(folded);
    let char: string;
    let next: number;
    if (m) {
      const code =
        m[9] !== undefined
          ? 0x26
          : m[1] !== undefined
            ? Number(m[1])
            : m[8] !== undefined
              ? parseInt(m[8], 8)
              : parseInt((m[2] ?? m[3] ?? m[4] ?? m[5] ?? m[6] ?? m[7]) as string, 16);
      char = code <= 0x10ffff ? String.fromCodePoint(code) : '';
      next = i + m[0].length;
    } else {
      const code = folded.codePointAt(i) as number;
      next = i + (code > 0xffff ? 2 : 1);
      char = folded.slice(i, next);
    }
    if (char.charCodeAt(0) > 0x7f) char = char.normalize('NFKC');
    for (const c of fold(char)) {
      out += c;
      from.push(i);
      to.push(next);
    }
    i = next;
  }
  return { text: out, from: Int32Array.from(from), to: Int32Array.from(to) };
}

/** Layers of escapes undone: two is an echo of an escaped echo; a third costs nothing when absent. */
const MAX_ESCAPE_LAYERS = 3;

/** A decoding of a decoded text, its spans mapped back to the original text. */
function within(outer: Decoded, inner: Decoded): Decoded {
  const from = new Int32Array(inner.text.length);
  const to = new Int32Array(inner.text.length);
  for (let j = 0; j < inner.text.length; j++) {
    from[j] = outer.from[inner.from[j] as number] as number;
    to[j] = outer.to[(inner.to[j] as number) - 1] as number;
  }
  return { text: inner.text, from, to };
}

/**
 * The run sets of the values, built apart from the redactor so that the strings they come from are
 * not kept alive by its closure: only the hashes and the pair table stay.
 */
function runSetsOf(sensitive: SensitiveValues): { pairs: Uint8Array; directSets: RunSet[]; splitSets: RunSet[] } | null {
  // Runs of the same length are looked for in one pass, whichever value they come from.
  const direct = new Map<number, Set<string>>();
  const split = new Map<number, Set<string>>();
  const runsAt = (map: Map<number, Set<string>>, run: number) => map.get(run) ?? map.set(run, new Set()).get(run)!;
  const add = (value: string | null | undefined, run: number, splitRun: number) => {
    // A value shorter than its run is masked whole; under 4 characters it would mask ordinary words.
    if (typeof value !== 'string' || value.length < 4) return;
    const length = Math.min(run, value.length);
    for (const spelling of spellings(value)) runsOf(spelling, length, runsAt(direct, length));
    const bare = fold(value).replace(/[^a-z0-9]/g, '');
    if (bare.length >= splitRun) runsOf(bare, splitRun, runsAt(split, splitRun));
    if (value.length >= 6) {
      const [hex, utf16, ...base64] = encodedSpellings(value) as [string, string, ...string[]];
      // Hex is also looked for with separators taken out: a dump (`41 42 43`, `41:42:43`) spells it too.
      for (const h of [hex, utf16]) {
        runsOf(h, HEX_RUN_OF_VALUE, runsAt(direct, HEX_RUN_OF_VALUE));
        runsOf(h, HEX_RUN_OF_VALUE, runsAt(split, HEX_RUN_OF_VALUE));
      }
      for (const b of base64) runsOf(b, BASE64_RUN, runsAt(direct, BASE64_RUN));
    }
  };
  add(sensitive.apiKey, KEY_RUN, KEY_SPLIT_RUN);
  for (const s of sensitive.secrets ?? []) add(s, SECRET_RUN, SPLIT_RUN);
  if (direct.size === 0) return null;
  const pairs = new Uint8Array(4_096);
  // At most 7 sets (4 run lengths looked for as written, 3 with separators taken out): a bit each in a byte.
  const sets = [...direct, ...split].map(([run, runs], i) => runSet(run, 1 << i, runs, pairs));
  return { pairs, directSets: sets.slice(0, direct.size), splitSets: sets.slice(direct.size) };
}

/**
 * A function that masks every trace of the given values in a text, whatever surrounds them: after
 * `api_key=`, glued inside a longer token, URL-encoded, JSON-escaped, base64- or hex-encoded, written
 * with character escapes or fullwidth letters, in another letter case, or cut into pieces by
 * separators. Any run of 5+ characters of the API key becomes [redacted] (so at most a 4-character
 * run of it can show), and any run of 8+ characters of a secret or token. Cost is linear in the text
 * times the run length; texts here are bounded (a check detail, an advice line).
 */
export function secretRedactor(sensitive: SensitiveValues): (text: string) => string {
  const built = runSetsOf(sensitive);
  if (!built) return (text) => text;
  const { pairs, directSets, splitSets } = built;
  // A warm Lambda redacts the same few texts for a key run after run ("key sbxf…, secret set", the
  // balance line, a carried probe's pass): the last ones are remembered, as the pure function of
  // the text that redaction is. Bounded, least recently used forgotten first: the texts that change
  // every run ("probed 5 min ago") must not push out the ones that recur.
  const memo = new Map<string, string>();
  return (text) => {
    if (text.length > MEMO_MAX_LENGTH) return redact(text);
    const known = memo.get(text);
    if (known !== undefined) {
      memo.delete(text);
      memo.set(text, known);
      return known;
    }
    const redacted = redact(text);
    if (memo.size >= MEMO_TEXTS) memo.delete(memo.keys().next().value as string);
    memo.set(text, redacted);
    return redacted;
  };
  function redact(text: string): string {
    const folded = fold(text);
    const marked = new Uint8Array(text.length);
    const scan = (t: string, marks: Uint8Array) => {
      let hit = false;
      for (const set of directSets) if (markRuns(t, set, pairs, marks)) hit = true;
      for (const set of splitSets) if (markSplitRuns(t, set, pairs, marks)) hit = true;
      return hit;
    };
    let found = scan(folded, marked);
    // An echo of an echo escapes twice (`%2541`, `&amp;#65;`): each layer is decoded and looked at in turn.
    let layer: Decoded | null = null;
    for (let depth = 0; depth < MAX_ESCAPE_LAYERS; depth++) {
      const current = layer ? layer.text : folded;
      const next = decodedOf(current);
      if (!next || next.text === current) break;
      layer = layer ? within(layer, next) : next;
      const local = new Uint8Array(layer.text.length);
      if (scan(layer.text, local)) {
        found = true;
        for (let j = 0; j < local.length; j++) if (local[j]) marked.fill(1, layer.from[j] as number, layer.to[j] as number);
      }
    }
    if (!found) return text;
    // Up to 3 separators between two masked pieces belong to the masked value: one [redacted], not several.
    for (let i = 1; i < text.length;) {
      let j = i;
      while (j < text.length && !marked[j] && !ALPHANUMERIC.test(text[j] as string)) j++;
      if (j > i && marked[i - 1] && marked[j] && j - i <= 3) marked.fill(1, i, j);
      i = j + 1;
    }
    let out = '';
    for (let i = 0; i < text.length; i++) {
      if (!marked[i]) out += text[i];
      else if (i === 0 || !marked[i - 1]) out += REDACTED;
    }
    return out;
  }
}

/** Texts a redactor remembers: a key's check details of one run, and a few more. */
const MEMO_TEXTS = 16;
/** Longer texts are not remembered (an unhealthy key's one-off evidence): only the short, recurring ones. */
const MEMO_MAX_LENGTH = 400;

/**
 * The redactor of the same values, kept while the process lives: a warm Lambda checks the same keys
 * every run, and building one costs more than using it. Bounded; the values are the secrets the
 * process holds anyway.
 */
const REDACTORS = new Map<string, (text: string) => string>();
const MAX_REDACTORS = 4_096;

export function cachedSecretRedactor(sensitive: SensitiveValues): (text: string) => string {
  // Lengths before values: one id per list of values whatever they hold, without a JSON encoding of each per key per run.
  let id = `${sensitive.apiKey?.length ?? -1}:${sensitive.apiKey ?? ''}`;
  for (const secret of sensitive.secrets ?? []) id += `|${secret?.length ?? -1}:${secret ?? ''}`;
  let redactor = REDACTORS.get(id);
  if (!redactor) {
    if (REDACTORS.size >= MAX_REDACTORS) REDACTORS.clear();
    redactor = secretRedactor(sensitive);
    REDACTORS.set(id, redactor);
  }
  return redactor;
}

export function redactSecrets(text: string, sensitive: SensitiveValues): string {
  return secretRedactor(sensitive)(text);
}
