import { ParseError } from '../../src/errors.js';
import { parseExpression } from '../../src/expr/parser.js';
import { evaluate } from './functions/support.js';

/** The error `f` throws. */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

describe('long expressions', () => {
  it('refuse a chain of 2,500 + terms or 4,000 OR terms with the ParseError deep nesting gets, not a stack overflow', () => {
    const plus = Array.from({ length: 2500 }, (_, i) => String(i)).join(' + ');
    const ors = Array.from({ length: 4000 }, (_, i) => `x = ${i}`).join(' OR ');
    for (const sql of [plus, ors, `${'('.repeat(600)}1${')'.repeat(600)}`]) {
      const e = thrown(() => evaluate(sql, { x: 1 }, 'x INT'));
      expect(e).toBeInstanceOf(ParseError);
      expect((e as ParseError).reason).toBe('expression nested too deeply (more than 500 levels)');
    }
  });

  it('still evaluate a chain of 400 terms', () => {
    expect(evaluate(Array.from({ length: 400 }, () => '1').join(' + '))).toBe(400);
    expect(evaluate(Array.from({ length: 400 }, (_, i) => `x = ${i}`).join(' OR '), { x: 399 }, 'x INT')).toBe(true);
  });

  it('show at most a short excerpt of a 10 MB expression around the error', () => {
    const sql = `${'a + '.repeat(2_500_000)})`;
    const e = thrown(() => parseExpression(sql)) as ParseError;
    expect(e).toBeInstanceOf(ParseError);
    expect(e.message.length).toBeLessThan(400);
    const short = thrown(() => parseExpression('a + )')) as ParseError;
    expect(short.message).toBe("unexpected ')' at position 5 of the expression:\n  a + )\n      ^");
    const middle = thrown(() => parseExpression(`${'x'.repeat(200)} ) ${'y'.repeat(200)}`)) as ParseError;
    const [, text, caret] = middle.message.split('\n');
    expect(text!.trim().startsWith('…') && text!.trim().endsWith('…')).toBe(true);
    expect(text![caret!.indexOf('^')]).toBe(')');
  });
});
