// The expected differences stay honest: each names a section of docs/differences-from-spark.md
// that exists, or an item of issue 16 that the page lists as open, and each case named exists.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EXPECTED } from './expected-differences.js';

const root = join(__dirname, '..', '..');
const page = readFileSync(join(root, 'docs', 'differences-from-spark.md'), 'utf8');
const headings = new Set([...page.matchAll(/^### (.+)$/gm)].map((m) => m[1]!.trim()));
const cases = new Set(readdirSync(join(__dirname, 'cases')).filter((f) => f.endsWith('.py'))
  .flatMap((f) => [...readFileSync(join(__dirname, 'cases', f), 'utf8').matchAll(/^def ([a-z]\w*)\(src\)/gm)].map((m) => m[1]!)));

describe('the expected differences of the conformance suite', () => {
  it.each(EXPECTED.map((e) => [e.case, e]))('%s names a documented reason and a case that exists', (_name, e) => {
    expect(cases.has(e.case)).toBe(true);
    if ('doc' in e.because) expect(headings.has(e.because.doc)).toBe(true);
    else expect(page).toContain(`**Item ${e.because.item},`);
    expect(e.differences.length).toBeGreaterThan(0);
  });
});
