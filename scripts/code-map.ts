/**
 * The code map in docs/code-map.md: every source folder of the repository, and each file in it
 * described by its own comment. It is read from the files, so a file that is added, moved or
 * split changes the map the next time `npm run docs` runs, and the drift test fails until it does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Folders that hold no source: dependencies, build output, tests, these pages, CDK output, hidden ones. */
const NOT_SOURCE = new Set(['node_modules', 'dist', 'test', 'docs', 'coverage']);
const skipped = (name: string) => name.startsWith('.') || NOT_SOURCE.has(name) || name.includes('cdk.out');
const SOURCE_FILE = /\.(?:ts|mts|mjs|js)$/;

export interface SourceFolder {
  /** Relative to the root, with a trailing slash: `cdk/constructs/`. */
  readonly folder: string;
  readonly files: readonly string[];
}

/** Every folder under `root` that holds source files, depth first, in name order. Files at the root itself are not a folder. */
export function sourceFolders(root: string): SourceFolder[] {
  const out: SourceFolder[] = [];
  const walk = (rel: string) => {
    const entries = readdirSync(join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const files = entries.filter((e) => e.isFile() && SOURCE_FILE.test(e.name)).map((e) => e.name);
    if (rel && files.length > 0) out.push({ folder: `${rel}/`, files });
    for (const e of entries) if (e.isDirectory() && !skipped(e.name)) walk(rel ? `${rel}/${e.name}` : e.name);
  };
  walk('');
  return out;
}

interface Comment {
  /** The comment's text, its markers and leading `*` removed, one entry per line. */
  readonly lines: string[];
  /** The source before it. */
  readonly before: string;
  /** The line right after it ('' when a blank line follows). */
  readonly next: string;
  readonly doc: boolean;
}

/** Comments that start a line (a comment after code on the same line is about that code). */
function comments(source: string): Comment[] {
  const out: Comment[] = [];
  const pattern = /\/\*[\s\S]*?\*\/|(?:^[ \t]*\/\/.*(?:\n|$))+/gm;
  for (const m of source.matchAll(pattern)) {
    const at = m.index;
    const lineStart = source.lastIndexOf('\n', at - 1) + 1;
    if (source.slice(lineStart, at).trim() !== '') continue;
    const rest = source.slice(at + m[0].length).replace(/^[ \t]*\n?/, '');
    const lines = m[0].split('\n').map((l) =>
      l
        .trim()
        .replace(/^\/\*\*?/, '')
        .replace(/\*\/$/, '')
        .replace(/^\*(?!\/) ?/, '')
        .replace(/^\/\/ ?/, '')
        .trimEnd(),
    );
    out.push({ lines, before: source.slice(0, lineStart), next: rest.split('\n')[0] ?? '', doc: m[0].startsWith('/**') });
  }
  return out;
}

const IMPORT = /^import\b[\s\S]*?['"][^'"\n]+['"][^;\n]*;?/gm;

/** The first sentence of a comment's first paragraph (a blank line or a list item ends it). */
function firstSentence(lines: readonly string[]): string {
  const paragraph: string[] = [];
  for (const l of lines) {
    const t = l.trim();
    if (t === '') {
      if (paragraph.length > 0) break;
      continue;
    }
    if (paragraph.length > 0 && /^[-*] /.test(t)) break;
    paragraph.push(t);
  }
  const text = paragraph.join(' ');
  // A sentence that introduces a list ends where the list begins.
  return /^.*?[.!?](?=\s|$)/.exec(text)?.[0] ?? text.replace(/:$/, '.');
}

/**
 * What a file says it is: its header (a comment at the very top, or the first one with nothing but
 * imports before it that is not about the import right after it); else the doc comment of its first documented export; else its
 * first comment; null when it has none.
 */
export function describeFile(source: string): string | null {
  const all = comments(source.replace(/^#!.*\n/, ''));
  const header = all.find((c) => c.before.trim() === '' || (c.before.replace(IMPORT, '').trim() === '' && !/^\s*import\b/.test(c.next)));
  const exported = all.find((c) => c.doc && /^export\s/.test(c.next));
  const chosen = header ?? exported ?? all[0];
  const text = chosen ? firstSentence(chosen.lines) : '';
  return text === '' ? null : text;
}

/** Markdown-safe table cell: pipes escaped, and `<` outside code spans shown rather than read as HTML. */
function cell(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/&/g, '&amp;').replace(/</g, '&lt;')))
    .join('')
    .replace(/\|/g, '\\|');
}

/**
 * The map: one heading per folder, one row per file, each file linked from `linkBase` (the way from
 * the page to the root: `../` for a page in docs/).
 */
export function codeMap(root: string, linkBase = '../'): string {
  const out: string[] = [];
  for (const { folder, files } of sourceFolders(root)) {
    out.push(`### \`${folder}\``, '', '| File | What it says it is |', '|---|---|');
    for (const file of files) {
      const said = describeFile(readFileSync(join(root, folder, file), 'utf8'));
      out.push(`| [\`${file}\`](${linkBase}${folder}${file}) | ${said === null ? '(no comment)' : cell(said)} |`);
    }
    out.push('');
  }
  return out.join('\n').trimEnd();
}
