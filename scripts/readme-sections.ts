/**
 * Sections generated from code, in README.md and the pages in docs/, live between
 * `<!-- NAME:start -->` and `<!-- NAME:end -->`; tests compare them with what the generators print,
 * so the documentation cannot drift from the code.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const README = fileURLToPath(new URL('../README.md', import.meta.url));

const markers = (name: string) => ({ start: `<!-- ${name}:start -->`, end: `<!-- ${name}:end -->` });

export function readSection(readme: string, name: string): string | null {
  const { start, end } = markers(name);
  const a = readme.indexOf(start);
  const b = readme.indexOf(end);
  return a < 0 || b < a
    ? null
    : readme
        .slice(a + start.length, b)
        .replace(/^\n/, '')
        .replace(/\n$/, '');
}

export function replaceSection(readme: string, name: string, body: string): string {
  const { start, end } = markers(name);
  const a = readme.indexOf(start);
  const b = readme.indexOf(end);
  if (a < 0 || b < a) throw new Error(`no ${start} … ${end} section`);
  return `${readme.slice(0, a + start.length)}\n${body}\n${readme.slice(b)}`;
}

/** The names of the generated sections a file holds (each start marker), in order. */
export function sectionNames(text: string): string[] {
  return [...text.matchAll(/<!-- ([a-z0-9-]+):start -->/g)].map((m) => m[1] as string);
}

/** Rewrites the named sections of one file (a path relative to the repository root). */
export function writeSections(file: string, sections: Readonly<Record<string, string>>): void {
  const path = `${ROOT}${file}`;
  let text = readFileSync(path, 'utf8');
  for (const [name, body] of Object.entries(sections)) {
    try {
      text = replaceSection(text, name, body);
    } catch (err) {
      throw new Error(`${file}: ${(err as Error).message}`);
    }
  }
  writeFileSync(path, text);
}
