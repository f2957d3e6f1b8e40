/**
 * Just enough Markdown reading for the documentation tests: headings and their GitHub anchors, links,
 * and the text outside code, where a link, a path or an HTML tag means something.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { ROOT } from '../../scripts/readme-sections.js';

/** README.md and every page in docs/, as paths relative to the repository root. */
export function documentationFiles(): string[] {
  const pages = readdirSync(`${ROOT}docs`)
    .filter((f) => f.endsWith('.md'))
    .sort();
  return ['README.md', ...pages.map((f) => `docs/${f}`)];
}

export const read = (file: string): string => readFileSync(`${ROOT}${file}`, 'utf8');

/** The text with fenced code blocks blanked out (line count kept), so nothing inside them counts. */
export function withoutFences(text: string): string {
  let fenced = false;
  return text
    .split('\n')
    .map((line) => {
      if (/^ {0,3}(```|~~~)/.test(line)) {
        fenced = !fenced;
        return '';
      }
      return fenced ? '' : line;
    })
    .join('\n');
}

/** The text outside any code: no fenced blocks, no inline code spans. */
export const prose = (text: string): string => withoutFences(text).replace(/`[^`]*`/g, '``');

export interface Heading {
  readonly level: number;
  /** As a reader sees it: inline code and link markup gone. */
  readonly text: string;
  readonly anchor: string;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

export function headings(text: string): Heading[] {
  const seen = new Map<string, number>();
  const out: Heading[] = [];
  for (const line of withoutFences(text).split('\n')) {
    const m = /^(#{1,6}) +(.*?)(?: +#+)? *$/.exec(line);
    if (!m) continue;
    const shown = (m[2] as string)
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/`([^`]*)`/g, '$1')
      .replace(/<[^>]+>/g, '');
    const base = slug(shown);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.push({ level: (m[1] as string).length, text: shown, anchor: n === 0 ? base : `${base}-${n}` });
  }
  return out;
}

/** Every anchor a page offers: its headings' and any explicit `<a id>` / `<a name>`. */
export function anchors(text: string): Set<string> {
  const explicit = [...withoutFences(text).matchAll(/<a\s+(?:id|name)="([^"]+)"/g)].map((m) => m[1] as string);
  return new Set([...headings(text).map((h) => h.anchor), ...explicit]);
}

export interface Link {
  readonly text: string;
  readonly target: string;
  readonly line: number;
}

/** Inline links `[text](target)` outside code. */
export function links(text: string): Link[] {
  const out: Link[] = [];
  prose(text)
    .split('\n')
    .forEach((line, i) => {
      for (const m of line.matchAll(/\[((?:[^[\]]|\[[^\]]*\])*)\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        out.push({ text: m[1] as string, target: m[2] as string, line: i + 1 });
      }
    });
  return out;
}
