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

export function displaySafe(text: string, maxLength = 200): string {
  // Bounded input first: everything below is linear, but there is no reason to scan megabytes. A hex
  // run the cut goes through is dropped whole: its visible part could be a signature's first digits.
  const bound = Math.max(maxLength * 4, 1_024);
  const head = text.length > bound ? dropTrailingHex(text.slice(0, bound)) : text;
  const flat = head.replace(UNPRINTABLE, ' ').replace(HEX_RUN, REDACTED).replace(/\s+/g, ' ').trim();
  return flat.length > maxLength ? `${flat.slice(0, maxLength - 1)}…` : flat;
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
 * split by spaces) are caught on the text with separators removed, from this length on: long enough
 * that a shown 4-character prefix and the word after it do not happen to match.
 */
const SPLIT_RUN = 8;

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

function runsOf(value: string, run: number): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i + run <= value.length; i++) out.add(value.slice(i, i + run));
  return out;
}

/** Runs to find, and every pair of neighbouring characters they contain (a cheap filter before the exact test). */
interface RunSet {
  readonly runs: ReadonlySet<string>;
  readonly pairs: Uint8Array;
}

/** A pair of neighbouring characters as a slot of a 4,096-entry table (collisions only let more windows through). */
const pairIndex = (text: string, i: number) => ((text.charCodeAt(i) * 67) ^ text.charCodeAt(i + 1)) & 0xfff;

function runSet(runs: ReadonlySet<string>): RunSet {
  const pairs = new Uint8Array(4_096);
  for (const r of runs) for (let i = 0; i + 1 < r.length; i++) pairs[pairIndex(r, i)] = 1;
  return { runs, pairs };
}

/**
 * Mark every window of `run` characters of `text` that is one of `runs` (`at` maps a window index
 * back to the text). A window can match only where each neighbouring pair in it occurs in some run:
 * windows that fail that (almost all of ordinary text) are never cut out and looked up.
 */
function markRuns(text: string, set: RunSet, run: number, marked: Uint8Array, at: (i: number) => number = (i) => i): boolean {
  if (set.runs.size === 0 || text.length < run) return false;
  let streak = 0;
  let found = false;
  for (let e = 1; e < text.length; e++) {
    streak = set.pairs[pairIndex(text, e - 1)] ? streak + 1 : 0;
    if (streak < run - 1) continue;
    const i = e - run + 1;
    if (!set.runs.has(text.slice(i, i + run))) continue;
    found = true;
    for (let j = i; j < i + run; j++) marked[at(j)] = 1;
  }
  return found;
}

/**
 * A function that masks every trace of the given values in a text, whatever surrounds them: after
 * `api_key=`, glued inside a longer token, URL-encoded or JSON-escaped, in another letter case, or cut
 * into pieces by separators. Any run of 5+ characters of the API key becomes [redacted] (so at most
 * a 4-character run of it can show), and any run of 8+ characters of a secret or token. Cost is
 * linear in the text times the run length; texts here are bounded (a check detail, an advice line).
 */
export function secretRedactor(sensitive: SensitiveValues): (text: string) => string {
  const sets: { run: number; runs: RunSet; split: RunSet }[] = [];
  const add = (value: string | null | undefined, run: number) => {
    // A value shorter than its run is masked whole; under 4 characters it would mask ordinary words.
    if (typeof value !== 'string' || value.length < 4) return;
    const length = Math.min(run, value.length);
    const runs = new Set(spellings(value).flatMap((v) => [...runsOf(v, length)]));
    const bare = fold(value).replace(/[^a-z0-9]/g, '');
    sets.push({ run: length, runs: runSet(runs), split: runSet(bare.length >= SPLIT_RUN ? runsOf(bare, SPLIT_RUN) : new Set()) });
  };
  add(sensitive.apiKey, KEY_RUN);
  for (const s of sensitive.secrets ?? []) add(s, SECRET_RUN);
  if (sets.length === 0) return (text) => text;
  return (text) => {
    const folded = fold(text);
    const marked = new Uint8Array(text.length);
    // The same text with separators taken out, and where each of its characters came from.
    const from: number[] = [];
    let bare = '';
    for (let i = 0; i < folded.length; i++) {
      const c = folded[i] as string;
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        bare += c;
        from.push(i);
      }
    }
    let found = false;
    for (const { run, runs, split } of sets) {
      if (markRuns(folded, runs, run, marked)) found = true;
      if (markRuns(bare, split, SPLIT_RUN, marked, (j) => from[j] as number)) found = true;
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
  };
}

/**
 * The redactor of the same values, kept while the process lives: a warm Lambda checks the same keys
 * every run, and building one costs more than using it. Bounded; the values are the secrets the
 * process holds anyway.
 */
const REDACTORS = new Map<string, (text: string) => string>();
const MAX_REDACTORS = 4_096;

export function cachedSecretRedactor(sensitive: SensitiveValues): (text: string) => string {
  const id = JSON.stringify([sensitive.apiKey ?? null, ...(sensitive.secrets ?? [])]);
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
