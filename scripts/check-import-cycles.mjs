#!/usr/bin/env node
// Fails when the source tree has an import circle, listing each one. A circle means two modules
// cannot be understood, tested or loaded one without the other; with ES modules it can also leave
// a binding undefined while its module is still evaluating.
//
// Reads the relative imports of every module under src/, cdk/ and scripts/: static (`import … from`,
// `import '…'`, `export … from`) and dynamic (`import('…')`), type-only ones included (a circle of
// types is still two modules that need each other). Bare package names are not followed.
//
// Usage: node scripts/check-import-cycles.mjs [root]   (root defaults to this repository)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOTS = ['src', 'cdk', 'scripts'];
const SOURCE = /\.(?:ts|mts|js|mjs)$/;
const MAX_LISTED = 100;

const root = resolve(process.argv[2] ?? fileURLToPath(new URL('..', import.meta.url)));

function* sourceFiles(dir) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) yield path;
  }
}

/**
 * The source as code only: comments dropped, each quoted string replaced by a numbered placeholder
 * (its text kept in `strings`), template text blanked. An import in a comment or in a string's text
 * is then not an import, and a specifier is always a whole string.
 */
function tokens(text) {
  let code = '';
  const strings = [];
  // For each ${…} open inside a template literal: how many { are open within it.
  const braces = [];
  // The rest of a template literal from `i` (just after its opening backtick or a ${…}'s closing brace).
  const templateText = (i) => {
    let j = i;
    while (j < text.length && text[j] !== '`') {
      if (text[j] === '\\') j++;
      else if (text[j] === '$' && text[j + 1] === '{') {
        braces.push(0);
        return j + 2;
      }
      j++;
    }
    return j + 1;
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 2;
      code += ' ';
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      let value = '';
      while (j < text.length && text[j] !== c && text[j] !== '\n') {
        if (text[j] === '\\') j++;
        value += text[j];
        j++;
      }
      code += `\0${strings.push(value) - 1}\0`;
      i = j + 1;
    } else if (c === '`') {
      i = templateText(i + 1);
      code += ' ';
    } else if (braces.length > 0 && c === '}' && braces[braces.length - 1] === 0) {
      braces.pop();
      i = templateText(i + 1);
      code += ' ';
    } else {
      if (braces.length > 0 && c === '{') braces[braces.length - 1]++;
      if (braces.length > 0 && c === '}') braces[braces.length - 1]--;
      code += c;
      i++;
    }
  }
  return { code, strings };
}

const S = '\\0(\\d+)\\0';
const IMPORTS = [
  // import x from '…', import { a, type B } from '…', import type { … } from '…', import * as n from '…'
  new RegExp(`(?:^|[^\\w$.])import\\s+(?:type\\s+)?[\\w$*{}\\s,]*?\\s*from\\s*${S}`, 'g'),
  // import '…' (for its effects)
  new RegExp(`(?:^|[^\\w$.])import\\s*${S}`, 'g'),
  // export * from '…', export { a } from '…', export type { … } from '…'
  new RegExp(`(?:^|[^\\w$.])export\\s+(?:type\\s+)?(?:\\*(?:\\s+as\\s+[\\w$]+)?|\\{[^}]*\\})\\s*from\\s*${S}`, 'g'),
  // import('…')
  new RegExp(`(?:^|[^\\w$.])import\\s*\\(\\s*${S}\\s*[,)]`, 'g'),
];

/** The file a relative specifier names: TypeScript sources are imported by their emitted `.js` name. */
function resolveSpecifier(from, specifier) {
  const base = resolve(dirname(from), specifier);
  const candidates = [base];
  if (base.endsWith('.js')) candidates.unshift(base.slice(0, -3) + '.ts');
  if (base.endsWith('.mjs')) candidates.unshift(base.slice(0, -4) + '.mts');
  if (!SOURCE.test(base)) candidates.push(`${base}.ts`, `${base}.mjs`, `${base}.js`, join(base, 'index.ts'), join(base, 'index.js'));
  return candidates.find((c) => existsSync(c) && statSync(c).isFile()) ?? null;
}

/** module → the modules it imports (within the checked folders). */
function importGraph() {
  const files = ROOTS.flatMap((dir) => [...sourceFiles(join(root, dir))]);
  const known = new Set(files);
  const graph = new Map();
  for (const file of files) {
    const { code, strings } = tokens(readFileSync(file, 'utf8'));
    const targets = new Set();
    for (const pattern of IMPORTS) {
      for (const match of code.matchAll(pattern)) {
        const specifier = strings[Number(match[1])];
        if (!specifier.startsWith('.')) continue;
        const target = resolveSpecifier(file, specifier);
        if (target && known.has(target)) targets.add(target);
      }
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** Strongly connected components (Tarjan): each one with more than one module, or a module importing itself, holds a circle. */
function tangledComponents(graph) {
  let index = 0;
  const indexOf = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const components = [];
  const visit = (v) => {
    indexOf.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), indexOf.get(w)));
    }
    if (low.get(v) === indexOf.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!indexOf.has(v)) visit(v);
  return components;
}

/** Every simple circle inside one component, each starting at its first module in sort order. */
function circlesIn(component, graph, limit) {
  const members = new Set(component);
  const circles = [];
  for (const start of component) {
    const path = [start];
    const onPath = new Set(path);
    const walk = (v) => {
      for (const w of graph.get(v) ?? []) {
        if (circles.length >= limit || !members.has(w) || w < start) continue;
        if (w === start) circles.push([...path, start]);
        else if (!onPath.has(w)) {
          path.push(w);
          onPath.add(w);
          walk(w);
          path.pop();
          onPath.delete(w);
        }
      }
    };
    walk(start);
  }
  return circles;
}

const graph = importGraph();
const components = tangledComponents(graph);
if (components.length === 0) {
  console.log(`import circles: none among ${graph.size} modules in ${ROOTS.join('/, ')}/`);
  process.exit(0);
}
const name = (file) => relative(root, file);
const circles = components.flatMap((c) => circlesIn(c, graph, MAX_LISTED));
console.error(`import circles: ${circles.length}${circles.length >= MAX_LISTED ? '+' : ''} (a module must not need, directly or not, a module that needs it)`);
for (const circle of circles.slice(0, MAX_LISTED)) console.error(`  ${circle.map(name).join(' → ')}`);
process.exit(1);
