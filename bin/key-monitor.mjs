#!/usr/bin/env node
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/key-monitor.mjs', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('key-monitor: not built yet. Run "npm ci" (or "npm run build") in the project folder first.\n');
  process.exit(2);
}
await import(entry.href);
