/**
 * npm run docs: print the sections of README.md and docs/*.md that are generated from code.
 * npm run docs -- --write  rewrites them in place (scripts/doc-pages.ts says which goes where).
 */
import { generatedFiles } from './doc-pages.js';
import { writeSections } from './readme-sections.js';

const args = process.argv.slice(2);
const unknown = args.find((a) => a !== '--write');
if (unknown) {
  process.stderr.write(`docs: unknown option ${unknown} (only --write)\n`);
  process.exit(2);
}
const files = await generatedFiles();
for (const [file, sections] of Object.entries(files)) {
  if (args.includes('--write')) {
    writeSections(file, sections);
    process.stdout.write(`rewrote ${Object.keys(sections).join(', ')} in ${file}\n`);
  } else {
    for (const [name, body] of Object.entries(sections)) process.stdout.write(`<!-- ${file} ${name} -->\n${body}\n\n`);
  }
}
