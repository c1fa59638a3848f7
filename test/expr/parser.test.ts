import fc from 'fast-check';
import { ParseError } from '../../src/errors.js';
import { tokenize } from '../../src/expr/lexer.js';
import { parseExpression, parseSchemaDDL, parseSelectItem } from '../../src/expr/parser.js';
import type { BinaryOp, Expr } from '../../src/expr/tree.js';
import {
  arrayOf, BOOLEAN, DOUBLE, fieldOf, INTEGER, LONG, mapOf, NULL, STRING, structOf, TIMESTAMP, type DataType,
} from '../../src/expr/types.js';

// Plain-object builders for the expected trees.
const col = (...path: string[]): Expr => ({ k: 'col', path });
const lit = (value: unknown, type: DataType): Expr => ({ k: 'lit', value, type });
const int = (n: number): Expr => lit(n, INTEGER);
const str = (s: string): Expr => lit(s, STRING);
const bin = (op: BinaryOp, left: Expr, right: Expr): Expr => ({ k: 'binary', op, left, right });
const not = (child: Expr): Expr => ({ k: 'not', child });
const fn = (name: string, ...args: Expr[]): Expr => ({ k: 'call', name, args });
const interval = (ms: number, months = 0): Expr => ({ k: 'interval', ms, months });
const HOUR = 3_600_000;
const MINUTE = 60_000;

/** The reason and position of the ParseError that `parse` throws. */
function failure(parse: () => unknown): { reason: string; position: number } {
  try {
    parse();
  } catch (e) {
    if (e instanceof ParseError) return { reason: e.reason, position: e.position };
    throw e;
  }
  throw new Error('expected a ParseError, but parsing succeeded');
}

describe('operator precedence', () => {
  it('binds multiplication tighter than addition', () => {
    expect(parseExpression('a + b * c')).toEqual(bin('+', col('a'), bin('*', col('b'), col('c'))));
  });

  it('reads operators of equal precedence left to right', () => {
    expect(parseExpression('a - b - c')).toEqual(bin('-', bin('-', col('a'), col('b')), col('c')));
    expect(parseExpression('a / b * c % d')).toEqual(bin('%', bin('*', bin('/', col('a'), col('b')), col('c')), col('d')));
  });

  it('lets parentheses override precedence', () => {
    expect(parseExpression('(a + b) * c')).toEqual(bin('*', bin('+', col('a'), col('b')), col('c')));
  });

  it('applies NOT to a whole comparison, below AND, below OR', () => {
    expect(parseExpression('NOT a = b AND c OR d')).toEqual(
      bin('or', bin('and', not(bin('=', col('a'), col('b'))), col('c')), col('d')),
    );
  });

  it('binds AND tighter than OR regardless of order', () => {
    expect(parseExpression('a OR b AND c')).toEqual(bin('or', col('a'), bin('and', col('b'), col('c'))));
  });

  it('binds string concatenation tighter than comparison but looser than addition', () => {
    expect(parseExpression('a || b = c')).toEqual(bin('=', bin('||', col('a'), col('b')), col('c')));
    expect(parseExpression('a || b + c')).toEqual(bin('||', col('a'), bin('+', col('b'), col('c'))));
  });

  it('binds unary minus tighter than multiplication', () => {
    expect(parseExpression('-a * b')).toEqual(bin('*', { k: 'neg', child: col('a') }, col('b')));
  });

  it('treats DIV as integer division at the level of multiplication', () => {
    expect(parseExpression('a + b div c')).toEqual(bin('+', col('a'), bin('div', col('b'), col('c'))));
  });

  it('accepts ! as NOT and nests repeated negations', () => {
    expect(parseExpression('!a')).toEqual(not(col('a')));
    expect(parseExpression('not not a')).toEqual(not(not(col('a'))));
  });

  it('maps every comparison spelling to its operator', () => {
    const cases: [string, BinaryOp][] = [
      ['=', '='], ['==', '='], ['!=', '!='], ['<>', '!='], ['<', '<'], ['<=', '<='], ['>', '>'], ['>=', '>='], ['<=>', '<=>'],
    ];
    for (const [spelling, op] of cases) expect(parseExpression(`a ${spelling} 1`)).toEqual(bin(op, col('a'), int(1)));
  });

  it('parses the stream-stream join condition from the notes', () => {
    expect(parseExpression(
      'clickAdId = impressionAdId AND clickTime >= impressionTime AND clickTime <= impressionTime + interval 1 hour',
    )).toEqual(bin('and',
      bin('and', bin('=', col('clickAdId'), col('impressionAdId')), bin('>=', col('clickTime'), col('impressionTime'))),
      bin('<=', col('clickTime'), bin('+', col('impressionTime'), interval(HOUR)))));
  });

  it('reads keywords case-insensitively', () => {
    expect(parseExpression('a and b Or NOT c')).toEqual(bin('or', bin('and', col('a'), col('b')), not(col('c'))));
  });
});

describe('numeric, string, boolean and null literals', () => {
  it('types integers that fit in 32 bits as INTEGER and larger ones as LONG', () => {
    expect(parseExpression('42')).toEqual(int(42));
    expect(parseExpression('2147483647')).toEqual(int(2147483647));
    expect(parseExpression('2147483648')).toEqual(lit(2147483648, LONG));
  });

  it('folds a minus sign into a numeric literal, so the smallest INT stays an INT', () => {
    expect(parseExpression('-5')).toEqual(int(-5));
    expect(parseExpression('-2147483648')).toEqual(int(-2147483648));
    expect(parseExpression('-2147483649')).toEqual(lit(-2147483649, LONG));
    expect(parseExpression('a * -2')).toEqual(bin('*', col('a'), int(-2)));
  });

  it('negates a non-literal with a neg node and treats unary plus as a no-op', () => {
    expect(parseExpression('-a')).toEqual({ k: 'neg', child: col('a') });
    expect(parseExpression('+a')).toEqual(col('a'));
    expect(parseExpression('- -1')).toEqual({ k: 'neg', child: int(-1) });
  });

  it('reads the L suffix as LONG and decimals, exponents and the D suffix as DOUBLE', () => {
    expect(parseExpression('10L')).toEqual(lit(10, LONG));
    expect(parseExpression('1.5')).toEqual(lit(1.5, DOUBLE));
    expect(parseExpression('.5')).toEqual(lit(0.5, DOUBLE));
    expect(parseExpression('1e3')).toEqual(lit(1000, DOUBLE));
    expect(parseExpression('2.5E-1')).toEqual(lit(0.25, DOUBLE));
    expect(parseExpression('7D')).toEqual(lit(7, DOUBLE));
    expect(parseExpression('-1.5d')).toEqual(lit(-1.5, DOUBLE));
  });

  it('makes integers too large for a LONG DOUBLE, as Spark makes them DECIMAL', () => {
    expect(parseExpression('99999999999999999999')).toEqual(lit(1e20, DOUBLE));
  });

  it('reads single- and double-quoted strings with backslash escapes', () => {
    expect(parseExpression("'hello'")).toEqual(str('hello'));
    expect(parseExpression('"hello"')).toEqual(str('hello'));
    expect(parseExpression(String.raw`'a\nb\tc\\d\'e\"f\u0041'`)).toEqual(str('a\nb\tc\\d\'e"fA'));
    expect(parseExpression(`"it's"`)).toEqual(str("it's"));
  });

  it('keeps the backslash of an escaped LIKE wildcard so the pattern still sees it escaped', () => {
    expect(parseExpression(String.raw`'100\%'`)).toEqual(str('100\\%'));
  });

  it('concatenates adjacent string literals', () => {
    expect(parseExpression("'a' 'b'")).toEqual(str('ab'));
    expect(parseExpression(`'a' "b" 'c'`)).toEqual(str('abc'));
  });

  it('reads TRUE, FALSE and NULL in any case', () => {
    expect(parseExpression('TRUE')).toEqual(lit(true, BOOLEAN));
    expect(parseExpression('false')).toEqual(lit(false, BOOLEAN));
    expect(parseExpression('Null')).toEqual(lit(null, NULL));
  });

  it('reads TIMESTAMP and DATE literals as UTC dates', () => {
    expect(parseExpression("TIMESTAMP '2019-02-05 10:05:00'"))
      .toEqual(lit(new Date('2019-02-05T10:05:00Z'), TIMESTAMP));
    expect(parseExpression("timestamp '2019-02-05T10:05:00.250'"))
      .toEqual(lit(new Date('2019-02-05T10:05:00.250Z'), TIMESTAMP));
    expect(parseExpression("DATE '2019-02-05'")).toEqual(lit(new Date('2019-02-05T00:00:00Z'), TIMESTAMP));
  });

  it('honours an explicit zone offset in a TIMESTAMP literal', () => {
    expect(parseExpression("TIMESTAMP '2019-02-05 10:05:00+02:00'"))
      .toEqual(lit(new Date('2019-02-05T08:05:00Z'), TIMESTAMP));
  });

  it('treats date and timestamp as column names when no string follows', () => {
    expect(parseExpression('date > timestamp')).toEqual(bin('>', col('date'), col('timestamp')));
  });
});

describe('predicates', () => {
  it('parses IS NULL and IS NOT NULL', () => {
    expect(parseExpression('a IS NULL')).toEqual({ k: 'isNull', child: col('a'), negated: false });
    expect(parseExpression('a is not null')).toEqual({ k: 'isNull', child: col('a'), negated: true });
  });

  it('parses IN and NOT IN lists of expressions', () => {
    expect(parseExpression("a IN (1, 2, 'x')")).toEqual({ k: 'in', child: col('a'), list: [int(1), int(2), str('x')], negated: false });
    expect(parseExpression('a NOT IN (b + 1)')).toEqual({ k: 'in', child: col('a'), list: [bin('+', col('b'), int(1))], negated: true });
  });

  it('parses BETWEEN and NOT BETWEEN without mistaking their AND for a conjunction', () => {
    expect(parseExpression('a BETWEEN 1 AND 10 AND b')).toEqual(
      bin('and', { k: 'between', child: col('a'), low: int(1), high: int(10), negated: false }, col('b')),
    );
    expect(parseExpression('a NOT BETWEEN b - 1 AND b + 1')).toEqual({
      k: 'between', child: col('a'), low: bin('-', col('b'), int(1)), high: bin('+', col('b'), int(1)), negated: true,
    });
  });

  it('parses LIKE and NOT LIKE as non-regex patterns', () => {
    expect(parseExpression("name LIKE 'a%'")).toEqual({ k: 'like', child: col('name'), pattern: str('a%'), negated: false, regex: false });
    expect(parseExpression("name NOT LIKE 'a%'")).toEqual({ k: 'like', child: col('name'), pattern: str('a%'), negated: true, regex: false });
  });

  it('parses RLIKE and REGEXP, and their negations, as regex patterns', () => {
    expect(parseExpression("name RLIKE '^a.*'")).toEqual({ k: 'like', child: col('name'), pattern: str('^a.*'), negated: false, regex: true });
    expect(parseExpression("name regexp 'x'")).toEqual({ k: 'like', child: col('name'), pattern: str('x'), negated: false, regex: true });
    expect(parseExpression("name NOT RLIKE 'x'")).toEqual({ k: 'like', child: col('name'), pattern: str('x'), negated: true, regex: true });
    expect(parseExpression("name NOT REGEXP 'x'")).toEqual({ k: 'like', child: col('name'), pattern: str('x'), negated: true, regex: true });
  });

  it('parses IS [NOT] DISTINCT FROM with the null-safe equality operator', () => {
    expect(parseExpression('a IS NOT DISTINCT FROM b')).toEqual(bin('<=>', col('a'), col('b')));
    expect(parseExpression('a IS DISTINCT FROM b')).toEqual(not(bin('<=>', col('a'), col('b'))));
  });

  it('distinguishes a predicate NOT from a prefix NOT', () => {
    expect(parseExpression('NOT a IN (1)')).toEqual(not({ k: 'in', child: col('a'), list: [int(1)], negated: false }));
  });

  it('chains comparisons and predicates left to right', () => {
    expect(parseExpression('a = b IS NULL')).toEqual({ k: 'isNull', child: bin('=', col('a'), col('b')), negated: false });
  });
});

describe('CASE, CAST and INTERVAL', () => {
  it('parses a searched CASE with the example from the notes', () => {
    expect(parseExpression("case when Type == 'BUY' then Amount end")).toEqual({
      k: 'case', branches: [{ when: bin('=', col('Type'), str('BUY')), then: col('Amount') }],
    });
  });

  it('parses several WHEN branches and an ELSE', () => {
    expect(parseExpression("CASE WHEN a > 0 THEN 'pos' WHEN a < 0 THEN 'neg' ELSE 'zero' END")).toEqual({
      k: 'case',
      branches: [
        { when: bin('>', col('a'), int(0)), then: str('pos') },
        { when: bin('<', col('a'), int(0)), then: str('neg') },
      ],
      otherwise: str('zero'),
    });
  });

  it('desugars a simple CASE into equality tests against its operand', () => {
    expect(parseExpression("CASE x WHEN 1 THEN 'one' WHEN 2 THEN 'two' END")).toEqual({
      k: 'case',
      branches: [
        { when: bin('=', col('x'), int(1)), then: str('one') },
        { when: bin('=', col('x'), int(2)), then: str('two') },
      ],
    });
  });

  it('parses CAST to atomic types through their Spark names', () => {
    expect(parseExpression('CAST(a AS INT)')).toEqual({ k: 'cast', child: col('a'), to: INTEGER });
    expect(parseExpression('cast(a as bigint)')).toEqual({ k: 'cast', child: col('a'), to: LONG });
    expect(parseExpression('CAST(a AS decimal(10, 2))')).toEqual({ k: 'cast', child: col('a'), to: DOUBLE });
    expect(parseExpression("CAST('2019-02-05' AS timestamp)")).toEqual({ k: 'cast', child: str('2019-02-05'), to: TIMESTAMP });
  });

  it('parses CAST to nested array, map and struct types', () => {
    expect(parseExpression('CAST(a AS ARRAY<ARRAY<STRING>>)')).toEqual({ k: 'cast', child: col('a'), to: arrayOf(arrayOf(STRING)) });
    expect(parseExpression('CAST(a AS MAP<STRING, ARRAY<INT>>)')).toEqual({ k: 'cast', child: col('a'), to: mapOf(STRING, arrayOf(INTEGER)) });
    expect(parseExpression('CAST(a AS STRUCT<x: INT, y STRING>)'))
      .toEqual({ k: 'cast', child: col('a'), to: structOf([fieldOf('x', INTEGER), fieldOf('y', STRING)]) });
  });

  it('parses intervals written with units outside, inside or around a string', () => {
    expect(parseExpression('INTERVAL 1 HOUR')).toEqual(interval(HOUR));
    expect(parseExpression('interval 1 hour 30 minutes')).toEqual(interval(HOUR + 30 * MINUTE));
    expect(parseExpression("INTERVAL '1 hour'")).toEqual(interval(HOUR));
    expect(parseExpression("INTERVAL '10' MINUTE")).toEqual(interval(10 * MINUTE));
    expect(parseExpression('INTERVAL 2 YEARS 1 MONTH')).toEqual(interval(0, 25));
    expect(parseExpression('INTERVAL -5 SECONDS')).toEqual(interval(-5000));
  });

  it('stops an interval at an operator, so it can be added to a column', () => {
    expect(parseExpression('t - interval 10 minutes * 2')).toEqual(bin('-', col('t'), bin('*', interval(10 * MINUTE), int(2))));
  });
});

describe('names, fields and subscripts', () => {
  it('reads a dotted chain of names as one column path', () => {
    expect(parseExpression('a.b.c')).toEqual(col('a', 'b', 'c'));
  });

  it('accepts keywords after a dot, so window.end is a column path', () => {
    expect(parseExpression('window.start < window.end')).toEqual(bin('<', col('window', 'start'), col('window', 'end')));
  });

  it('reads backtick-quoted names with spaces, dots, quotes and doubled backticks', () => {
    expect(parseExpression('`a b`')).toEqual(col('a b'));
    expect(parseExpression('`odd.name`.x')).toEqual(col('odd.name', 'x'));
    expect(parseExpression('`it\'s "quoted"`')).toEqual(col('it\'s "quoted"'));
    expect(parseExpression('`a``b`')).toEqual(col('a`b'));
  });

  it('lets backticks turn a reserved word into a name', () => {
    expect(parseExpression('`end` + `case`')).toEqual(bin('+', col('end'), col('case')));
  });

  it('reads a subscript followed by a field access', () => {
    expect(parseExpression('arr[0].x')).toEqual({ k: 'field', child: { k: 'item', child: col('arr'), index: int(0) }, name: 'x' });
  });

  it('reads map subscripts with arbitrary expressions and chains them', () => {
    expect(parseExpression("m['k'][i + 1]")).toEqual({
      k: 'item', child: { k: 'item', child: col('m'), index: str('k') }, index: bin('+', col('i'), int(1)),
    });
  });

  it('reads a dot after a function call as a field access', () => {
    expect(parseExpression('from_json(v).user.id')).toEqual({
      k: 'field', child: { k: 'field', child: fn('from_json', col('v')), name: 'user' }, name: 'id',
    });
  });

  it('extends the path of a parenthesised column, as Spark does', () => {
    expect(parseExpression('(a).b')).toEqual(col('a', 'b'));
  });
});

describe('function calls', () => {
  it('lowercases the function name and parses the arguments', () => {
    expect(parseExpression('UPPER(name)')).toEqual(fn('upper', col('name')));
    expect(parseExpression('substr(s, 1, 3)')).toEqual(fn('substr', col('s'), int(1), int(3)));
  });

  it('accepts calls without arguments', () => {
    expect(parseExpression('rand()')).toEqual(fn('rand'));
  });

  it('nests calls inside arguments and operators', () => {
    expect(parseExpression('round(avg(x) * 100, 2)')).toEqual(fn('round', bin('*', fn('avg', col('x')), int(100)), int(2)));
  });

  it('marks f(DISTINCT x) as distinct', () => {
    expect(parseExpression('count(DISTINCT userId)')).toEqual({ k: 'call', name: 'count', args: [col('userId')], distinct: true });
  });

  it('reads count(*) as a call with a star argument, and t.* as a targeted star', () => {
    expect(parseExpression('count(*)')).toEqual({ k: 'call', name: 'count', args: [{ k: 'star' }] });
    expect(parseExpression('to_json(struct(*))')).toEqual(fn('to_json', { k: 'call', name: 'struct', args: [{ k: 'star' }] }));
    expect(parseExpression('struct(t.*)')).toEqual({ k: 'call', name: 'struct', args: [{ k: 'star', target: ['t'] }] });
  });

  it('reads bare current_timestamp and current_date as calls', () => {
    expect(parseExpression('current_timestamp')).toEqual(fn('current_timestamp'));
    expect(parseExpression('CURRENT_DATE')).toEqual(fn('current_date'));
    expect(parseExpression('current_timestamp()')).toEqual(fn('current_timestamp'));
    expect(parseExpression('`current_date`')).toEqual(col('current_date'));
  });
});

describe('hostile input is only ever data', () => {
  const payload = "x'); process.exit(1); ('";

  it('keeps an injection attempt inside a double-quoted string as the literal text', () => {
    expect(parseExpression(`name = "${payload}"`)).toEqual(bin('=', col('name'), str(payload)));
  });

  it('keeps an injection attempt with escaped quotes as the literal text', () => {
    expect(parseExpression(String.raw`name = 'x\'); process.exit(1); (\''`)).toEqual(bin('=', col('name'), str(payload)));
  });

  it('rejects an unescaped quote that ends the string early, at the first token after it', () => {
    expect(failure(() => parseExpression(`name = '${payload}'`))).toEqual({ reason: "unexpected ')'", position: 10 });
  });

  it('keeps SQL comment markers and backticks inside strings as text', () => {
    expect(parseExpression("a = '-- `b` /* c */'")).toEqual(bin('=', col('a'), str('-- `b` /* c */')));
  });

  it('reads any text back exactly from a quoted, escaped string literal', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => {
      // Doubling every backslash also stops a following % or _ from reading as an escaped wildcard.
      const quoted = `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
      expect(parseExpression(`a = ${quoted}`)).toEqual(bin('=', col('a'), str(text)));
    }));
  });

  it('fails on arbitrary input only with a ParseError, never with another error', () => {
    const alphabet = fc.constantFrom(..."ab1 .,()[]'`\\\"*+-<>=!|%:".split(''), 'AND ', 'NOT ', 'CASE ', 'WHEN ', 'INTERVAL ', 'CAST(');
    fc.assert(fc.property(fc.array(alphabet, { maxLength: 40 }).map((parts) => parts.join('')), (sql) => {
      for (const parse of [parseExpression, parseSelectItem, parseSchemaDDL]) {
        try {
          parse(sql);
        } catch (e) {
          expect(e).toBeInstanceOf(ParseError);
        }
      }
    }), { numRuns: 2000 });
  });

  it('refuses absurdly deep nesting with a ParseError instead of overflowing the stack', () => {
    for (const sql of ['('.repeat(100_000) + 'a', 'NOT '.repeat(100_000) + 'a', '- '.repeat(100_000) + 'a']) {
      expect(failure(() => parseExpression(sql)).reason).toBe('expression nested too deeply (more than 500 levels)');
    }
  });

  it('refuses absurdly deep type nesting in a schema', () => {
    expect(failure(() => parseSchemaDDL('a ' + 'ARRAY<'.repeat(100_000) + 'INT')).reason)
      .toBe('schema nested too deeply (more than 500 levels)');
  });

  it('parses nesting of a realistic depth', () => {
    expect(parseExpression('('.repeat(100) + 'a' + ')'.repeat(100))).toEqual(col('a'));
  });

  it('keeps quotes inside backtick-quoted names as part of the name', () => {
    expect(parseExpression("`x'); drop table t; --` = 1")).toEqual(bin('=', col("x'); drop table t; --"), int(1)));
  });
});

describe('parseSelectItem', () => {
  it('returns an unaliased expression as it is', () => {
    expect(parseSelectItem('a + 1')).toEqual(bin('+', col('a'), int(1)));
  });

  it('wraps an expression with AS name in an alias', () => {
    expect(parseSelectItem('sum(amount) AS total')).toEqual({ k: 'alias', child: fn('sum', col('amount')), name: 'total' });
  });

  it('accepts a bare alias and a backtick-quoted alias', () => {
    expect(parseSelectItem('a * 2 doubled')).toEqual({ k: 'alias', child: bin('*', col('a'), int(2)), name: 'doubled' });
    expect(parseSelectItem('a as `my col`')).toEqual({ k: 'alias', child: col('a'), name: 'my col' });
  });

  it('does not mistake an alias after an interval for an interval unit', () => {
    expect(parseSelectItem("INTERVAL '1 hour' delay")).toEqual({ k: 'alias', child: interval(HOUR), name: 'delay' });
  });

  it('reads * and t.* as stars', () => {
    expect(parseSelectItem('*')).toEqual({ k: 'star' });
    expect(parseSelectItem('t.*')).toEqual({ k: 'star', target: ['t'] });
    expect(parseSelectItem('a.`b c`.*')).toEqual({ k: 'star', target: ['a', 'b c'] });
  });

  it('refuses a reserved word as an alias and says how to quote it', () => {
    expect(failure(() => parseSelectItem('a AS end'))).toEqual({
      reason: "expected a name after AS but found 'end' (END is a reserved word: write `end` to use it as a name)", position: 5,
    });
  });

  it('refuses anything after a star', () => {
    expect(failure(() => parseSelectItem('* x'))).toEqual({ reason: "unexpected 'x'", position: 2 });
  });
});

describe('parseSchemaDDL', () => {
  it('parses atomic, array, struct and map fields', () => {
    expect(parseSchemaDDL('a INT, b STRING, c ARRAY<STRUCT<x: DOUBLE, y: STRING>>, m MAP<STRING, INT>')).toEqual(structOf([
      fieldOf('a', INTEGER),
      fieldOf('b', STRING),
      fieldOf('c', arrayOf(structOf([fieldOf('x', DOUBLE), fieldOf('y', STRING)]))),
      fieldOf('m', mapOf(STRING, INTEGER)),
    ]));
  });

  it('accepts both `name: type` and `name type`, in any case', () => {
    expect(parseSchemaDDL('a: bigint, b boolean')).toEqual(structOf([fieldOf('a', LONG), fieldOf('b', BOOLEAN)]));
  });

  it('accepts backtick-quoted field names and keywords as field names', () => {
    expect(parseSchemaDDL('`first name` STRING, `a``b` INT, end TIMESTAMP')).toEqual(structOf([
      fieldOf('first name', STRING), fieldOf('a`b', INTEGER), fieldOf('end', TIMESTAMP),
    ]));
  });

  it('reads NOT NULL as non-nullable and skips a COMMENT', () => {
    expect(parseSchemaDDL("id LONG NOT NULL COMMENT 'the key', v STRING")).toEqual(structOf([
      fieldOf('id', LONG, false), fieldOf('v', STRING),
    ]));
  });

  it('accepts parameterised type names', () => {
    expect(parseSchemaDDL('price DECIMAL(10,2), code VARCHAR(3)')).toEqual(structOf([fieldOf('price', DOUBLE), fieldOf('code', STRING)]));
  });

  it('names an unknown type and its field', () => {
    expect(failure(() => parseSchemaDDL('a INT, b intt'))).toEqual({ reason: "unknown type 'intt' for field 'b'", position: 9 });
  });

  it('refuses duplicate field names at the second one', () => {
    expect(failure(() => parseSchemaDDL('a INT, a STRING'))).toEqual({
      reason: "duplicate field name 'a': field names must be unique", position: 7,
    });
  });

  it('refuses a trailing comma and an unclosed nested type', () => {
    expect(failure(() => parseSchemaDDL('a INT,'))).toEqual({ reason: 'expected a field name but found the end of the schema', position: 6 });
    expect(failure(() => parseSchemaDDL('a ARRAY<INT'))).toEqual({
      reason: "expected '>' to close ARRAY<...> but found the end of the schema", position: 11,
    });
  });
});

describe('parse errors name the problem and its position', () => {
  it('reports a stray closing parenthesis', () => {
    expect(failure(() => parseExpression('f(a))'))).toEqual({ reason: "unexpected ')'", position: 4 });
  });

  it('reports a missing operand at the end of the expression', () => {
    expect(failure(() => parseExpression('a +'))).toEqual({
      reason: "unexpected end of expression: expected an operand after '+'", position: 3,
    });
    expect(failure(() => parseExpression(''))).toEqual({ reason: 'unexpected end of expression: expected an expression', position: 0 });
  });

  it('reports a missing THEN in a CASE', () => {
    expect(failure(() => parseExpression('CASE WHEN a ELSE b END'))).toEqual({
      reason: "expected THEN after the WHEN condition but found 'ELSE'", position: 12,
    });
  });

  it('reports a CASE that is not closed with END', () => {
    expect(failure(() => parseExpression('CASE WHEN a THEN b'))).toEqual({
      reason: 'expected WHEN, ELSE or END in the CASE expression but found the end of the expression', position: 18,
    });
  });

  it('reports an unclosed string literal at its opening quote', () => {
    expect(failure(() => parseExpression("a = 'abc"))).toEqual({ reason: 'unclosed string literal', position: 4 });
  });

  it('reports an unclosed backtick-quoted name', () => {
    expect(failure(() => parseExpression('a + `b'))).toEqual({ reason: 'unclosed backtick-quoted name', position: 4 });
  });

  it('reports an unknown type in CAST', () => {
    expect(failure(() => parseExpression('CAST(a AS intt)'))).toEqual({ reason: "unknown type 'intt' in CAST", position: 10 });
  });

  it('reports a CAST without AS', () => {
    expect(failure(() => parseExpression('CAST(a INT)'))).toEqual({
      reason: "expected AS after the value in CAST but found 'INT'", position: 7,
    });
  });

  it('reports an impossible TIMESTAMP or DATE at the string', () => {
    expect(failure(() => parseExpression("DATE '2019-02-30'"))).toEqual({
      reason: "invalid DATE literal '2019-02-30': expected 'yyyy-MM-dd'", position: 5,
    });
    expect(failure(() => parseExpression("TIMESTAMP 'yesterday'"))).toEqual({
      reason: "invalid TIMESTAMP literal 'yesterday': expected 'yyyy-MM-dd HH:mm:ss[.SSS]'", position: 10,
    });
  });

  it('reports an interval without a unit or with an unreadable string', () => {
    expect(failure(() => parseExpression('INTERVAL 1 fortnight'))).toEqual({
      reason: "expected an interval unit such as HOUR or MINUTE after '1' but found 'fortnight'", position: 11,
    });
    expect(failure(() => parseExpression("INTERVAL 'soon'")).reason).toMatch(/^cannot parse interval 'soon'/);
  });

  it('reports a reserved word used as a column name and how to quote it', () => {
    expect(failure(() => parseExpression('end > 1'))).toEqual({
      reason: "unexpected 'end' (END is a reserved word: write `end` to use it as a name)", position: 0,
    });
  });

  it('reports trailing tokens after a complete expression', () => {
    expect(failure(() => parseExpression('a b'))).toEqual({ reason: "unexpected 'b'", position: 2 });
  });

  it('reports a star inside an ordinary expression', () => {
    expect(failure(() => parseExpression('t.* + 1'))).toEqual({
      reason: "'.*' is only allowed as a whole select item or as a function argument, as in count(t.*)", position: 2,
    });
    expect(failure(() => parseExpression('a + *'))).toEqual({ reason: "unexpected '*'", position: 4 });
  });

  it('reports a NOT that negates nothing', () => {
    expect(failure(() => parseExpression('a NOT b'))).toEqual({
      reason: "expected IN, BETWEEN, LIKE, RLIKE or REGEXP after NOT but found 'b'", position: 6,
    });
  });

  it('reports an unclosed argument list and IN list', () => {
    expect(failure(() => parseExpression('f(a b)'))).toEqual({
      reason: "expected ',' or ')' to close the arguments of f but found 'b'", position: 4,
    });
    expect(failure(() => parseExpression('a IN (1, 2'))).toEqual({
      reason: "expected ',' or ')' to close the IN list but found the end of the expression", position: 10,
    });
  });

  it('reports malformed numbers and out-of-range LONG literals', () => {
    expect(failure(() => parseExpression('12abc'))).toEqual({ reason: "malformed number '12abc'", position: 0 });
    expect(failure(() => parseExpression('1 + 9223372036854775808L'))).toEqual({
      reason: 'integer literal 9223372036854775808L is out of range for BIGINT', position: 4,
    });
  });

  it('reports characters that are not part of the language', () => {
    expect(failure(() => parseExpression('a # b'))).toEqual({ reason: "unexpected character '#'", position: 2 });
  });

  it('reports a bad unicode escape at its backslash', () => {
    expect(failure(() => parseExpression(String.raw`'ab\u12'`))).toEqual({
      reason: String.raw`invalid unicode escape '\u12' in a string literal: write \u and four hex digits`, position: 3,
    });
  });

  it('reports the leftmost problem first, even when a later character cannot be lexed', () => {
    expect(failure(() => parseExpression('a = ) #'))).toEqual({ reason: "unexpected ')'", position: 4 });
  });

  it('renders the message with the expression and a caret under the position', () => {
    expect(() => parseExpression('a + )')).toThrow("unexpected ')' at position 5 of the expression:\n  a + )\n      ^");
  });
});

describe('tokenize', () => {
  it('splits an expression into words, names, numbers, strings and operators', () => {
    expect(tokenize("x<=>`y z` + 10L || 'q'").map((t) => [t.kind, t.value, t.pos])).toEqual([
      ['word', 'x', 0], ['op', '<=>', 1], ['quoted', 'y z', 4], ['op', '+', 10], ['number', '10L', 12],
      ['op', '||', 16], ['string', 'q', 19], ['eof', '', 22],
    ]);
  });
});
