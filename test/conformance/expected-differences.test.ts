// The expected differences stay honest: each names a section of docs/differences-from-spark.md
// that exists, and a case that exists.
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
    expect(headings.has(e.because)).toBe(true);
    expect(e.differences.length).toBeGreaterThan(0);
  });
});
