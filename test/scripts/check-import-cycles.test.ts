import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

/** `npm test` runs this script before vitest; here it runs on small trees made for each case. */
const SCRIPT = fileURLToPath(new URL('../../scripts/check-import-cycles.mjs', import.meta.url));

let root: string | null = null;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = null;
});

function tree(files: Record<string, string>): string {
  root = mkdtempSync(join(tmpdir(), 'ekm-cycles-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const check = (dir: string) => spawnSync(process.execPath, [SCRIPT, dir], { encoding: 'utf8' });

describe('scripts/check-import-cycles.mjs', () => {
  it('fails on each circle, static, type-only, re-exported or dynamic, and names its modules in order', () => {
    const run = check(
      tree({
        'src/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
        'src/b.ts': "import type { A } from './c.js';\nexport const b = 1 as unknown as A;\n",
        'src/c.ts': "export { a as A } from './a.js';\n",
        'cdk/app.ts': "export const load = () => import('../scripts/tool.js');\n",
        'scripts/tool.ts': "import '../cdk/app.js';\n",
      }),
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('import circles: 2');
    expect(run.stderr).toContain('src/a.ts → src/b.ts → src/c.ts → src/a.ts');
    expect(run.stderr).toContain('cdk/app.ts → scripts/tool.ts → cdk/app.ts');
  });

  it('passes a tree whose only "circles" are in comments, strings or through packages', () => {
    const run = check(
      tree({
        'src/a.ts': "// import { b } from './b.js';\n/* import('./b.js') */\nimport { x } from 'a-package';\nexport const a = `import('./b.js') ${x}`;\n",
        'src/b.ts': "import { a } from './a.js';\nexport const url = 'https://example.test/'; // import './a.js'\nexport const b = a;\n",
      }),
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('import circles: none among 2 modules');
  });
});
