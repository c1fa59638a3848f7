import { AnalysisError } from '../../../src/errors.js';
import { evaluate, typeOf } from './support.js';

const S = 's STRING';

describe('case, trimming and length', () => {
  it('upper and lower change case, and pass null through', () => {
    expect(evaluate('upper(s)', { s: 'Spark' }, S)).toBe('SPARK');
    expect(evaluate('ucase(s)', { s: 'Spark' }, S)).toBe('SPARK');
    expect(evaluate('lower(s)', { s: 'Spark' }, S)).toBe('spark');
    expect(evaluate('lcase(s)', { s: null }, S)).toBeNull();
  });

  it('trim removes spaces only, as in Spark 3', () => {
    expect(evaluate("trim('  a b  ')")).toBe('a b');
    expect(evaluate("ltrim('  a  ')")).toBe('a  ');
    expect(evaluate("rtrim('  a  ')")).toBe('  a');
    expect(evaluate('trim(s)', { s: '\ta\t' }, S)).toBe('\ta\t');
  });

  it('length counts characters, not UTF-16 code units, and bytes of a binary', () => {
    expect(evaluate("length('Spark SQL ')")).toBe(10);
    expect(evaluate('char_length(s)', { s: 'a😀b' }, S)).toBe(3);
    expect(evaluate('length(b)', { b: Buffer.from([1, 2, 3]) }, 'b BINARY')).toBe(3);
    expect(typeOf("length('x')")).toBe('int');
  });

  it('initcap capitalises each space-separated word and lowers the rest', () => {
    expect(evaluate("initcap('sPark sql')")).toBe('Spark Sql');
  });
});

describe('substring', () => {
  it('counts positions from 1', () => {
    expect(evaluate("substring('Spark SQL', 5)")).toBe('k SQL');
    expect(evaluate("substr('Spark SQL', 5, 1)")).toBe('k');
  });

  it('counts a negative position from the end', () => {
    expect(evaluate("substring('Spark SQL', -3)")).toBe('SQL');
    expect(evaluate("substring('Spark SQL', -3, 2)")).toBe('SQ');
  });

  it('treats position 0 as the start', () => {
    expect(evaluate("substring('Spark SQL', 0, 3)")).toBe('Spa');
  });

  it('cuts a range that runs before the start instead of shifting it', () => {
    expect(evaluate("substring('abc', -5, 3)")).toBe('a');
    expect(evaluate("substring('Spark SQL', -20, 5)")).toBe('');
    expect(evaluate("substring('abc', 2, -1)")).toBe('');
    expect(evaluate("substring('abc', 10)")).toBe('');
  });

  it('works on characters beyond the BMP and on binaries', () => {
    expect(evaluate('substring(s, 2, 1)', { s: 'a😀b' }, S)).toBe('😀');
    expect(evaluate('substring(b, 2, 2)', { b: Buffer.from([1, 2, 3]) }, 'b BINARY')).toEqual(Buffer.from([2, 3]));
  });

  it('gives null for a null string or position', () => {
    expect(evaluate('substring(s, 1, 2)', { s: null }, S)).toBeNull();
    expect(evaluate('substring(s, n)', { s: 'abc', n: null }, 's STRING, n INT')).toBeNull();
  });

  it('left and right take the ends of a string', () => {
    expect(evaluate("left('Spark', 3)")).toBe('Spa');
    expect(evaluate("right('Spark', 3)")).toBe('ark');
    expect(evaluate("right('Spark', 0)")).toBe('');
  });

  it('substring_index takes the text before the nth delimiter, or after it counting from the right', () => {
    expect(evaluate("substring_index('www.apache.org', '.', 2)")).toBe('www.apache');
    expect(evaluate("substring_index('www.apache.org', '.', -2)")).toBe('apache.org');
    expect(evaluate("substring_index('www.apache.org', '.', 5)")).toBe('www.apache.org');
  });
});

describe('concat and concat_ws', () => {
  it('concat gives null when any argument is null', () => {
    expect(evaluate("concat('a', s, 'c')", { s: 'b' }, S)).toBe('abc');
    expect(evaluate("concat('a', s, 'c')", { s: null }, S)).toBeNull();
  });

  it('concat converts numbers to text and joins arrays', () => {
    expect(evaluate("concat('n', 1)")).toBe('n1');
    expect(evaluate('concat(xs, ys)', { xs: [1], ys: [2, 3] }, 'xs ARRAY<INT>, ys ARRAY<INT>')).toEqual([1, 2, 3]);
  });

  it('concat_ws skips nulls and flattens array arguments', () => {
    expect(evaluate("concat_ws('-', 'a', s, xs)", { s: null, xs: ['b', null, 'c'] }, 's STRING, xs ARRAY<STRING>')).toBe('a-b-c');
    expect(evaluate("concat_ws(',', s)", { s: null }, S)).toBe('');
  });

  it('concat_ws gives null for a null separator', () => {
    expect(evaluate("concat_ws(s, 'a', 'b')", { s: null }, S)).toBeNull();
  });
});

describe('split', () => {
  it('keeps trailing empty strings, as Java split with limit -1 does', () => {
    expect(evaluate("split('a,b,,', ',')")).toEqual(['a', 'b', '', '']);
    expect(evaluate("split(',a', ',')")).toEqual(['', 'a']);
  });

  it('caps the number of parts with a positive limit, the last holding the rest', () => {
    expect(evaluate("split('a,b,c', ',', 2)")).toEqual(['a', 'b,c']);
    expect(evaluate("split('a,b,c', ',', 1)")).toEqual(['a,b,c']);
  });

  it('treats a limit of zero or below as no limit', () => {
    expect(evaluate("split('a,b,,', ',', 0)")).toEqual(['a', 'b', '', '']);
    expect(evaluate("split('a,b,,', ',', -1)")).toEqual(['a', 'b', '', '']);
  });

  it('reads the separator as a regular expression', () => {
    expect(evaluate("split('oneAtwoBthreeC', '[ABC]')")).toEqual(['one', 'two', 'three', '']);
    expect(evaluate("split('a1b22c', '[0-9]+')")).toEqual(['a', 'b', 'c']);
    expect(evaluate("split('a.b', '\\\\.')")).toEqual(['a', 'b']);
  });

  it('splits into characters on an empty pattern', () => {
    expect(evaluate("split('abc', '')")).toEqual(['a', 'b', 'c']);
    expect(evaluate("split('abc', '', 2)")).toEqual(['a', 'bc']);
  });

  it('gives no empty leading part for a zero-width match at the start', () => {
    expect(evaluate("split('aBc', '(?=B)')")).toEqual(['a', 'Bc']);
  });

  it('returns the whole string when nothing matches, and null for null input', () => {
    expect(evaluate("split('abc', ',')")).toEqual(['abc']);
    expect(evaluate("split('', ',')")).toEqual(['']);
    expect(evaluate("split(s, ',')", { s: null }, S)).toBeNull();
    expect(typeOf("split('a', ',')")).toBe('array<string>');
  });

  it('refuses an invalid literal pattern at analysis time', () => {
    expect(() => evaluate("split('a', '(')")).toThrow(AnalysisError);
  });
});

describe('regular expressions', () => {
  it('regexp_replace replaces every match and expands Java group references', () => {
    expect(evaluate("regexp_replace('100-200', '(\\\\d+)', 'num')")).toBe('num-num');
    expect(evaluate("regexp_replace('2019-02-05', '(\\\\d+)-(\\\\d+)-(\\\\d+)', '$3/$2/$1')")).toBe('05/02/2019');
    expect(evaluate("regexp_replace('a.b', '\\\\.', '\\\\$')")).toBe('a$b');
  });

  it('regexp_replace understands a leading (?i) flag', () => {
    expect(evaluate("regexp_replace('Foo foo', '(?i)foo', 'x')")).toBe('x x');
  });

  it('regexp_extract returns the group of the first match, or an empty string', () => {
    expect(evaluate("regexp_extract('100-200', '(\\\\d+)-(\\\\d+)', 1)")).toBe('100');
    expect(evaluate("regexp_extract('100-200', '(\\\\d+)-(\\\\d+)', 2)")).toBe('200');
    expect(evaluate("regexp_extract('100-200', '(\\\\d+)-(\\\\d+)', 0)")).toBe('100-200');
    expect(evaluate("regexp_extract('abc', '(\\\\d+)', 1)")).toBe('');
    expect(evaluate("regexp_extract('a', '(a)|(b)', 2)")).toBe('');
  });

  it('regexp_extract refuses a group index beyond the pattern', () => {
    expect(() => evaluate("regexp_extract('100-200', '(\\\\d+)', 2)")).toThrow(/group index 2/);
  });

  it('regexp_extract_all returns the group of every match', () => {
    expect(evaluate("regexp_extract_all('100-200, 300-400', '(\\\\d+)-(\\\\d+)', 1)")).toEqual(['100', '300']);
  });
});

describe('searching and replacing', () => {
  it('replace replaces every occurrence, removing it when no replacement is given', () => {
    expect(evaluate("replace('ABCabc', 'abc', 'DEF')")).toBe('ABCDEF');
    expect(evaluate("replace('a-b-c', '-')")).toBe('abc');
    expect(evaluate("replace('abc', '', 'x')")).toBe('abc');
  });

  it('instr and locate give 1-based positions and 0 when absent', () => {
    expect(evaluate("instr('SparkSQL', 'SQL')")).toBe(6);
    expect(evaluate("instr('SparkSQL', 'x')")).toBe(0);
    expect(evaluate("locate('bar', 'foobarbar')")).toBe(4);
    expect(evaluate("locate('bar', 'foobarbar', 5)")).toBe(7);
    expect(evaluate("locate('bar', 'foobarbar', 0)")).toBe(0);
  });

  it('locate gives 0 for a null position but null for a null string', () => {
    expect(evaluate("locate('a', 'abc', n)", { n: null }, 'n INT')).toBe(0);
    expect(evaluate("locate('a', s)", { s: null }, S)).toBeNull();
  });

  it('translate maps characters position by position and deletes those without a partner', () => {
    expect(evaluate("translate('AaBbCc', 'abc', '123')")).toBe('A1B2C3');
    expect(evaluate("translate('abcd', 'abd', 'x')")).toBe('xc');
  });

  it('startswith, endswith and contains test for a piece of text', () => {
    expect(evaluate("startswith('Spark', 'Sp')")).toBe(true);
    expect(evaluate("endswith('Spark', 'Sp')")).toBe(false);
    expect(evaluate("contains('Spark', 'par')")).toBe(true);
    expect(evaluate("contains(s, 'par')", { s: null }, S)).toBeNull();
  });
});

describe('building strings', () => {
  it('lpad and rpad pad to a length, and cut a longer string down to it', () => {
    expect(evaluate("lpad('hi', 5, '??')")).toBe('???hi');
    expect(evaluate("rpad('hi', 5, 'ab')")).toBe('hiaba');
    expect(evaluate("lpad('hi', 1, '?')")).toBe('h');
    expect(evaluate("rpad('hi', 4)")).toBe('hi  ');
    expect(evaluate("lpad('hi', -1, '?')")).toBe('');
  });

  it('repeat, reverse, ascii and chr behave as in Spark', () => {
    expect(evaluate("repeat('ab', 3)")).toBe('ababab');
    expect(evaluate("repeat('ab', -1)")).toBe('');
    expect(evaluate("reverse('Spark SQL')")).toBe('LQS krapS');
    expect(evaluate('reverse(xs)', { xs: [1, 2, 3] }, 'xs ARRAY<INT>')).toEqual([3, 2, 1]);
    expect(evaluate("ascii('222')")).toBe(50);
    expect(evaluate("ascii('')")).toBe(0);
    expect(evaluate('chr(65)')).toBe('A');
  });

  it('format_number groups thousands and rounds half to even', () => {
    expect(evaluate('format_number(12332.123456, 4)')).toBe('12,332.1235');
    expect(evaluate('format_number(1234567.5, 0)')).toBe('1,234,568');
    expect(evaluate('format_number(-0.125, 2)')).toBe('-0.12');
    expect(evaluate('format_number(1.5, -1)')).toBeNull();
  });
});

describe('encodings', () => {
  it('base64 and unbase64 round-trip text through bytes', () => {
    expect(evaluate("base64('Spark SQL')")).toBe('U3BhcmsgU1FM');
    expect(evaluate("unbase64('U3BhcmsgU1FM')")).toEqual(Buffer.from('Spark SQL'));
  });

  it('hex writes numbers, strings and binaries in uppercase hexadecimal', () => {
    expect(evaluate('hex(17)')).toBe('11');
    expect(evaluate('hex(-1)')).toBe('FFFFFFFFFFFFFFFF');
    expect(evaluate("hex('Spark SQL')")).toBe('537061726B2053514C');
    expect(evaluate("unhex('537061726B2053514C')")).toEqual(Buffer.from('Spark SQL'));
    expect(evaluate("unhex('zz')")).toBeNull();
  });
});

describe('argument checking', () => {
  it('names the function and what to pass when an argument has the wrong type', () => {
    expect(() => evaluate('upper(xs)', {}, 'xs ARRAY<STRING>')).toThrow(/upper\(\) argument 1 must be a string, but it is array<string>/);
    expect(() => evaluate("substring('abc', xs)", {}, 'xs ARRAY<INT>')).toThrow(AnalysisError);
  });

  it('reports a wrong number of arguments', () => {
    expect(() => evaluate("upper('a', 'b')")).toThrow(/upper takes 1 argument, got 2/);
  });
});
