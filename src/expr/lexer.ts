// Splits a Spark SQL expression into tokens. Keywords are not distinguished here: the parser
// decides whether a word is a keyword from where it stands, so `date` can still be a column.
import { ParseError } from '../errors.js';

export type TokenKind =
  /** An unquoted name or keyword: `a`, `AND`, `current_date`. */
  | 'word'
  /** A backtick-quoted name: always a name, never a keyword. */
  | 'quoted'
  /** A numeric literal as written, suffix included: `10`, `1.5e3`, `10L`, `2.5BD`. */
  | 'number'
  /** A single- or double-quoted string literal, escapes resolved. */
  | 'string'
  | 'op'
  | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** The name, the string's contents, the operator or the number's text. */
  readonly value: string;
  /** The token exactly as written, for error messages. */
  readonly text: string;
  /** 0-based offset of the token's first character. */
  readonly pos: number;
}

// Longest first, so `<=>` wins over `<=` and `<`. There is no `>>`, so `ARRAY<ARRAY<INT>>` lexes.
const OPERATORS = [
  '<=>', '<=', '>=', '<>', '!=', '==', '||',
  '=', '<', '>', '+', '-', '*', '/', '%', '(', ')', '[', ']', ',', '.', '!', ':',
] as const;

const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
const WORD_CHARS = /[A-Za-z0-9_]+/y;
const HEX_DIGITS = /[0-9A-Fa-f]{1,4}/y;
const INTEGER_SUFFIXES = new Set(['l', 's', 'y']);
const DECIMAL_SUFFIXES = new Set(['d', 'f', 'bd']);

/**
 * Reads tokens on demand, so that a syntax error is reported before a lexical error further
 * right: in `a = 'x'); #` the problem is the `)`, not the `#`.
 */
export class Lexer {
  private at = 0;

  constructor(private readonly sql: string) {}

  /** The next token; at the end, an `eof` token at `sql.length` (repeatedly). */
  next(): Token {
    const sql = this.sql;
    while (this.at < sql.length && /\s/.test(sql[this.at]!)) this.at++;
    if (this.at >= sql.length) return { kind: 'eof', value: '', text: '', pos: sql.length };
    const c = sql[this.at]!;
    const token = c === "'" || c === '"' ? readString(sql, this.at)
      : c === '`' ? readQuotedName(sql, this.at)
      : /\d/.test(c) || (c === '.' && /\d/.test(sql[this.at + 1] ?? '')) ? readNumber(sql, this.at)
      : /[A-Za-z_]/.test(c) ? readWord(sql, this.at)
      : readOperator(sql, this.at);
    this.at = token.pos + token.text.length;
    return token;
  }
}

/** All the tokens of `sql`, ending with the `eof` token. */
export function tokenize(sql: string): Token[] {
  const lexer = new Lexer(sql);
  const tokens = [lexer.next()];
  while (tokens[tokens.length - 1]!.kind !== 'eof') tokens.push(lexer.next());
  return tokens;
}

function readWord(sql: string, start: number): Token {
  const text = matchAt(WORD, sql, start)!;
  return { kind: 'word', value: text, text, pos: start };
}

function readNumber(sql: string, start: number): Token {
  const body = matchAt(NUMBER, sql, start)!;
  // Letters glued to the digits are a type suffix (10L) or a typo (10x): never a separate word.
  const suffix = matchAt(WORD_CHARS, sql, start + body.length) ?? '';
  const text = body + suffix;
  const s = suffix.toLowerCase();
  const integral = /^\d+$/.test(body);
  if (s !== '' && !DECIMAL_SUFFIXES.has(s) && !(integral && INTEGER_SUFFIXES.has(s))) {
    throw new ParseError(`malformed number '${text}'`, sql, start);
  }
  return { kind: 'number', value: text, text, pos: start };
}

function readOperator(sql: string, start: number): Token {
  const op = OPERATORS.find((o) => sql.startsWith(o, start));
  if (op === undefined) throw new ParseError(`unexpected character '${sql[start]}'`, sql, start);
  return { kind: 'op', value: op, text: op, pos: start };
}

/** `` `a b` ``: a doubled backtick stands for one backtick. */
function readQuotedName(sql: string, start: number): Token {
  let name = '';
  for (let i = start + 1; i < sql.length; i++) {
    if (sql[i] !== '`') {
      name += sql[i];
    } else if (sql[i + 1] === '`') {
      name += '`';
      i++;
    } else {
      if (name === '') throw new ParseError('empty backtick-quoted name', sql, start);
      return { kind: 'quoted', value: name, text: sql.slice(start, i + 1), pos: start };
    }
  }
  throw new ParseError('unclosed backtick-quoted name', sql, start);
}

/** 'it\'s' or "it's", with Spark's backslash escapes. */
function readString(sql: string, start: number): Token {
  const quote = sql[start]!;
  let value = '';
  for (let i = start + 1; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === quote) return { kind: 'string', value, text: sql.slice(start, i + 1), pos: start };
    if (c !== '\\') {
      value += c;
      continue;
    }
    if (i + 1 >= sql.length) break;
    const [decoded, length] = unescape(sql, i);
    value += decoded;
    i += length - 1;
  }
  throw new ParseError('unclosed string literal', sql, start);
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  n: '\n', t: '\t', r: '\r', b: '\b', '0': '\0', Z: '\x1a',
  // As in Spark, LIKE wildcards keep their backslash so that the pattern still sees them escaped.
  '%': '\\%', _: '\\_',
};

/** Decodes the escape starting with the backslash at `i`: the text and how many characters it used. */
function unescape(sql: string, i: number): [string, number] {
  const e = sql[i + 1]!;
  if (e === 'u') {
    const hex = matchAt(HEX_DIGITS, sql, i + 2) ?? '';
    if (hex.length < 4) {
      throw new ParseError(`invalid unicode escape '\\u${hex}' in a string literal: write \\u and four hex digits`, sql, i);
    }
    return [String.fromCharCode(parseInt(hex, 16)), 6];
  }
  // Any other escaped character (\\, \', \") stands for itself.
  return [SIMPLE_ESCAPES[e] ?? e, 2];
}

function matchAt(re: RegExp, sql: string, at: number): string | undefined {
  re.lastIndex = at;
  return re.exec(sql)?.[0];
}
