/**
 * npm run docs                   print the README sections generated from code
 * npm run docs -- --write-readme rewrite them in README.md (diagnoses, monitor-alarms, alert-examples)
 */
import { docSections } from './readme-docs.js';
import { writeSections } from './readme-sections.js';

const args = process.argv.slice(2);
const unknown = args.find((a) => a !== '--write-readme');
if (unknown) {
  process.stderr.write(`docs: unknown option ${unknown} (only --write-readme)\n`);
  process.exit(2);
}
const sections = await docSections();
if (args.includes('--write-readme')) {
  writeSections(sections);
  process.stdout.write(`rewrote ${Object.keys(sections).join(', ')} in README.md\n`);
} else {
  for (const [name, body] of Object.entries(sections)) process.stdout.write(`<!-- ${name} -->\n${body}\n\n`);
}
