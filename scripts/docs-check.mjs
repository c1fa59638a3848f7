// CI check for the API reference: every export of the entry points (src/index.ts, src/testing/index.ts) should carry a doc comment
// (TypeDoc's `notDocumented` validation, typedoc.json). Exports still without one are listed in
// docs/undocumented-exports.txt; the check fails when an export is missing a comment and is not
// listed there (a new export must be documented), and says when listed ones have been documented
// (so the list only shrinks). `npm run docs` builds the reference into docs/api.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const LIST = 'docs/undocumented-exports.txt';
const run = spawnSync('npx', ['typedoc', '--emit', 'none', '--logLevel', 'Warn'], { encoding: 'utf8' });
const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
// "name (Kind), defined in package/src/file.ts" identifies an item.
const missing = [...plain.matchAll(/\[warning\] (.+?), defined in [^/]*\/(\S+?), does not have any documentation/g)].map((m) => `${m[1]} in ${m[2]}`).sort();
const errors = [...plain.matchAll(/\[error\] (.*)/g)].map((m) => m[1]);
if (process.argv.includes('--update')) {
  writeFileSync(LIST, `${[...new Set(missing)].join('\n')}\n`);
  console.log(`docs-check: ${missing.length} exports without a doc comment written to ${LIST}`);
  process.exit(0);
}
const listed = new Set(readFileSync(LIST, 'utf8').split('\n').filter(Boolean));
const fresh = [...new Set(missing)].filter((m) => !listed.has(m));
const done = [...listed].filter((m) => !missing.includes(m));
for (const e of errors) console.error(`docs-check: TypeDoc error: ${e}`);
if (fresh.length) {
  console.error(`docs-check: ${fresh.length} exported item(s) without a doc comment:\n  ${fresh.join('\n  ')}\nWrite a doc comment (/** ... */) on each.`);
}
if (done.length) console.log(`docs-check: ${done.length} listed export(s) are documented now: run \`node scripts/docs-check.mjs --update\` to shrink ${LIST}`);
console.log(`docs-check: ${missing.length} exports still without a doc comment (listed in ${LIST})`);
process.exit(fresh.length || errors.length ? 1 : 0);
