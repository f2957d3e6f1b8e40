import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { codeMap, describeFile } from '../../scripts/code-map.js';

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

function tree(files: Record<string, string>): string {
  root = mkdtempSync(join(tmpdir(), 'code-map-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('the code map (docs/code-map.md) is read from the files', () => {
  it('lists every folder that holds source, each file under the folder it is in now', () => {
    const map = codeMap(
      tree({
        'src/monitor/rules.ts': '/** The incident rules. */\nexport const a = 1;\n',
        'src/monitor/moved-here.ts': '/** Moved from lib/. */\nexport const b = 1;\n',
        'src/monitor/fixtures/sample.json': '{}',
        'cdk/app.ts': '// The app.\nconst c = 1;\n',
        'test/monitor/rules.test.ts': '/** A test. */\n',
        'node_modules/x/index.js': '/** Not ours. */\n',
        'dist/cli/key-monitor.mjs': '/** Built. */\n',
        'docs/page.ts': '/** Not source. */\n',
        'vitest.config.ts': '/** At the root: no folder. */\n',
      }),
    );
    const folders = [...map.matchAll(/^### `([^`]+)`$/gm)].map((m) => m[1]);
    expect(folders).toEqual(['cdk/', 'src/monitor/']);
    expect(map).toContain('| [`moved-here.ts`](../src/monitor/moved-here.ts) | Moved from lib/. |');
    expect(map).toContain('| [`rules.ts`](../src/monitor/rules.ts) | The incident rules. |');
    expect(map).toContain('| [`app.ts`](../cdk/app.ts) | The app. |');
    expect(map).not.toMatch(/sample\.json|Not ours|Built|Not source|At the root|A test/);
  });

  it('describes a file by its header, else its first documented export, else its first comment', () => {
    const header =
      "/**\n * What this module is for: one job.\n * More about it, not shown.\n */\nimport { x } from './x.js';\n\n/** The export. */\nexport const y = x;\n";
    expect(describeFile(header)).toBe('What this module is for: one job.');
    expect(describeFile('#!/usr/bin/env node\n// Runs the thing. Then stops.\nrun();\n')).toBe('Runs the thing.');
    // A comment after the imports that explains the next import is about that import, not the file.
    const aboutImport =
      "import a from 'a';\n// Only the small part of b.\nimport b from 'b/small.js';\n\nconst inner = 1; // trailing\n/** The client. */\nexport class Client {}\n";
    expect(describeFile(aboutImport)).toBe('The client.');
    expect(describeFile("import a from 'a';\n\nfunction f() {\n  // Inside.\n}\n/** Exported thing. */\nexport function g() {}\n")).toBe('Exported thing.');
    expect(describeFile('function f() {\n  // Only inside a body.\n}\n')).toBe('Only inside a body.');
    expect(describeFile("export const a = 'no comment at all';\n")).toBeNull();
    expect(describeFile('/**\n * Builds everything:\n * - the CLI\n * - the Lambdas\n */\n')).toBe('Builds everything.');
  });

  it('keeps table cells whole and shows <placeholders> as text', () => {
    const map = codeMap(tree({ 'cli/a.ts': '/** `status | mute` for <stack name> | more. */\nexport const a = 1;\n', 'cli/b.ts': 'export const b = 1;\n' }));
    expect(map).toContain('| [`a.ts`](../cli/a.ts) | `status \\| mute` for &lt;stack name> \\| more. |');
    expect(map).toContain('| [`b.ts`](../cli/b.ts) | (no comment) |');
  });
});
