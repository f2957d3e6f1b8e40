/**
 * README.md and docs/*.md hold together: every link between them and every `#anchor` leads somewhere,
 * every place the code sends a reader to ("README → Configure") exists, every repository path the
 * pages name exists, and the README stays a front page a newcomer can read.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/readme-sections.js';
import { anchors, documentationFiles, headings, links, prose, read, withoutFences } from './markdown.js';

const ARROW = '\u2192';
const FRONT_PAGE_MAX_BYTES = 20 * 1024;

describe('links between README.md and docs/', () => {
  it('every relative link and #anchor leads to a file and a heading that exist', () => {
    const broken: string[] = [];
    for (const file of documentationFiles()) {
      for (const link of links(read(file))) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) continue; // https:, mailto:
        const [path = '', anchor] = link.target.split('#');
        const target = path === '' ? file : normalize(join(dirname(file), decodeURIComponent(path)));
        const where = `${file}:${link.line} [${link.text}](${link.target})`;
        if (target.startsWith('..') || !existsSync(join(ROOT, target))) {
          broken.push(`${where}: no file ${target}`);
          continue;
        }
        if (anchor !== undefined && (!target.endsWith('.md') || !anchors(read(target)).has(anchor)))
          broken.push(`${where}: ${target} has no heading #${anchor}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('every page in docs/ is linked from the README', () => {
    const linked = new Set(links(read('README.md')).map((l) => normalize(l.target.split('#')[0] ?? '')));
    expect(documentationFiles().filter((f) => f !== 'README.md' && !linked.has(f))).toEqual([]);
  });
});

/** Every text file of the repository that is ours: sources, tests, scripts, pages, CI. */
function repositoryFiles(dir = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (['node_modules', 'dist', '.git'].includes(entry.name) || entry.name.includes('cdk.out')) continue;
      out.push(...repositoryFiles(rel));
    } else if (/\.(ts|mts|mjs|js|md)$/.test(entry.name) || dir === '.ci') {
      out.push(rel);
    }
  }
  return out;
}

describe('places the code and the pages send a reader to', () => {
  it(`every "README ${ARROW} <section>" and "docs/<page>.md ${ARROW} <section>" names a heading of that page`, () => {
    const pointer = new RegExp(`\\b(README|docs/[a-z0-9-]+\\.md) ${ARROW} ([^\\n]+)`, 'g');
    const missing: string[] = [];
    let found = 0;
    for (const file of repositoryFiles()) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const m of text.matchAll(pointer)) {
        found += 1;
        const page = m[1] === 'README' ? 'README.md' : (m[1] as string);
        const said = (m[2] as string).replace(/^["“]/, '');
        const named =
          existsSync(join(ROOT, page)) && headings(read(page)).some((h) => said.startsWith(h.text) && !/^[\p{L}\p{N}]/u.test(said.slice(h.text.length)));
        if (!named) missing.push(`${file}: ${m[0].slice(0, 80)}`);
      }
    }
    expect(found, 'the scan finds the pointers the code has').toBeGreaterThan(10);
    expect(missing).toEqual([]);
  });

  it('every repository path the pages name in backticks exists', () => {
    const named = /^(?:\.\/)?((?:bin|cdk|lambdas|src|scripts|test|docs|\.ci)\/[^\s*<>|…]*)$/;
    const missing: string[] = [];
    for (const file of documentationFiles()) {
      for (const m of withoutFences(read(file)).matchAll(/`([^`\n]+)`/g)) {
        const path = named.exec(m[1] as string)?.[1];
        if (path !== undefined && !existsSync(join(ROOT, path))) missing.push(`${file}: ${path}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('what GitHub shows', () => {
  it('no text outside code looks like an HTML tag GitHub drops (a <placeholder> vanishes)', () => {
    const shown = new Set(['a', 'b', 'br', 'code', 'details', 'em', 'i', 'img', 'kbd', 'p', 'strong', 'sub', 'summary', 'sup']);
    const dropped: string[] = [];
    for (const file of documentationFiles()) {
      for (const m of prose(read(file)).matchAll(/<\/?([A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*)?\/?>/g)) {
        if (!shown.has((m[1] as string).toLowerCase())) dropped.push(`${file}: ${m[0]}`);
      }
    }
    expect(dropped).toEqual([]);
  });
});

describe('the README front page', () => {
  const readme = read('README.md');

  it(`is at most ${FRONT_PAGE_MAX_BYTES / 1024} KB`, () => {
    expect(Buffer.byteLength(readme, 'utf8')).toBeLessThanOrEqual(FRONT_PAGE_MAX_BYTES);
  });

  it('opens with a table of contents that links every section, in order', () => {
    const sections = headings(readme).filter((h) => h.level === 2);
    expect(sections[0]?.text).toBe('Contents');
    const start = readme.indexOf('## Contents');
    const contents = readme.slice(start, readme.indexOf('\n## ', start + 1));
    const listed = links(contents)
      .map((l) => l.target)
      .filter((t) => t.startsWith('#'))
      .map((t) => t.slice(1));
    const second = new Set(sections.map((h) => h.anchor));
    expect(listed.filter((a) => second.has(a))).toEqual(sections.slice(1).map((h) => h.anchor));
  });

  it('puts the sections a newcomer needs in the order they need them', () => {
    const order = headings(readme)
      .filter((h) => h.level === 2)
      .map((h) => h.text);
    const wanted = ['What it finds', 'Quick start', 'Check a key', 'Deploy', 'Configure', 'Channels', 'Rotate a key', 'Cost', 'Security'];
    expect(order.filter((t) => wanted.includes(t))).toEqual(wanted);
  });

  it('keeps its two commands: npm start and npm test', () => {
    expect(readme).toMatch(/```sh\nnpm ci && npm start .*\nnpm test /);
    const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8');
    expect(ci).toMatch(/^npm test$/m);
  });

  it('every docs page is a page: a title and a way back to the README', () => {
    for (const file of documentationFiles().filter((f) => f !== 'README.md')) {
      const text = read(file);
      expect(headings(text)[0]?.level, file).toBe(1);
      expect(
        links(text).some((l) => l.target === '../README.md'),
        `${file} links back to the README`,
      ).toBe(true);
    }
  });
});
