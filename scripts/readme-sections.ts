/**
 * README sections generated from code live between `<!-- NAME:start -->` and `<!-- NAME:end -->`;
 * tests compare them with what the generators print, so the README cannot drift from the code.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
  if (a < 0 || b < a) throw new Error(`README.md has no ${start} … ${end} section`);
  return `${readme.slice(0, a + start.length)}\n${body}\n${readme.slice(b)}`;
}

export function writeSections(sections: Readonly<Record<string, string>>): void {
  let readme = readFileSync(README, 'utf8');
  for (const [name, body] of Object.entries(sections)) readme = replaceSection(readme, name, body);
  writeFileSync(README, readme);
}
