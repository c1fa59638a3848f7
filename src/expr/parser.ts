// A recursive-descent parser for the Spark SQL expression subset that `expr`, `selectExpr`,
// `filter(String)` and DDL schema strings use. It only builds data (an Expr tree or a schema):
// nothing in the input is ever evaluated, so hostile text can at worst be a string literal.
//
// Precedence, lowest first: OR, AND, NOT, comparisons and predicates (IS NULL, IN, BETWEEN,
// LIKE), ||, + -, * / % DIV, unary minus, postfix `.field` and `[index]`, primaries.
import { AnalysisError, ParseError } from '../errors.js';
import { parseInterval } from './interval.js';
import { Lexer, type Token } from './lexer.js';
import { call, colRef, literal, type BinaryOp, type Case, type Expr, type Literal, type Star } from './tree.js';
import {
  arrayOf, BOOLEAN, DOUBLE, fieldOf, INTEGER, LONG, mapOf, NULL, parseTypeName, STRING, structOf, TIMESTAMP,
  type DataType, type Field, type StructType,
} from './types.js';

/** Parses a whole expression, such as the argument of `expr()` or `filter()`. */
export function parseExpression(sql: string): Expr {
  const p = new Parser(sql, 'expression');
  const e = p.expression();
  p.expectEnd();
  return e;
}

/** Parses one `selectExpr` item: an expression with an optional alias, `*` or `t.*`. */
export function parseSelectItem(sql: string): Expr {
  return new Parser(sql, 'expression').selectItem();
}

/** Parses a DDL schema such as `a INT, b ARRAY<STRUCT<x: DOUBLE>>, m MAP<STRING, INT>`. */
export function parseSchemaDDL(sql: string): StructType {
  return new Parser(sql, 'schema').schema();
}

/** Words that always have their keyword meaning; backticks make them usable as names. */
const RESERVED = new Set([
  'AND', 'OR', 'NOT', 'IS', 'NULL', 'IN', 'BETWEEN', 'LIKE', 'RLIKE', 'REGEXP', 'CASE', 'WHEN', 'THEN',
  'ELSE', 'END', 'CAST', 'AS', 'TRUE', 'FALSE', 'INTERVAL', 'DIV', 'DISTINCT',
]);

const COMPARISONS: Readonly<Record<string, BinaryOp>> = {
  '=': '=', '==': '=', '!=': '!=', '<>': '!=', '<': '<', '<=': '<=', '>': '>', '>=': '>=', '<=>': '<=>',
};

/** Arithmetic and concatenation operators with their binding power (higher binds tighter). */
const ARITHMETIC: Readonly<Record<string, { readonly op: BinaryOp; readonly power: number }>> = {
  '||': { op: '||', power: 1 },
  '+': { op: '+', power: 2 }, '-': { op: '-', power: 2 },
  '*': { op: '*', power: 3 }, '/': { op: '/', power: 3 }, '%': { op: '%', power: 3 },
  DIV: { op: 'div', power: 3 },
};

const PREDICATE_WORDS = new Set(['IN', 'BETWEEN', 'LIKE', 'RLIKE', 'REGEXP']);
const INTERVAL_UNIT = /^(year|month|week|day|hour|minute|second|millisecond|microsecond)s?$/i;
/** Functions Spark lets you call without parentheses. */
const NILADIC = new Set(['current_timestamp', 'current_date']);

/** Far below where the recursion would exhaust Node's stack; no real expression comes close. */
const MAX_DEPTH = 500;

/** Integer suffixes (10Y, 10S, 10L): the range each allows and the type it gives. */
const INT_RANGES: Readonly<Record<string, { readonly bits: bigint; readonly type: DataType; readonly sql: string }>> = {
  y: { bits: 8n, type: INTEGER, sql: 'TINYINT' },
  s: { bits: 16n, type: INTEGER, sql: 'SMALLINT' },
  l: { bits: 64n, type: LONG, sql: 'BIGINT' },
};

class Parser {
  private readonly lexer: Lexer;
  /** Tokens read so far; `at` indexes the current one. */
  private readonly tokens: Token[] = [];
  private at = 0;
  private depth = 0;

  constructor(
    private readonly sql: string,
    /** What the input is, for "the end of the expression" in messages. */
    private readonly subject: 'expression' | 'schema',
  ) {
    this.lexer = new Lexer(sql);
  }

  // ---- entry points -------------------------------------------------------------------------

  expression(): Expr {
    return this.nested(() => this.or());
  }

  selectItem(): Expr {
    const star = this.tryStar();
    if (star) {
      this.expectEnd();
      return star;
    }
    const child = this.expression();
    let name: string | undefined;
    if (this.acceptWord('AS')) name = this.aliasName();
    else if (this.isName(this.peek())) name = this.next().value; // a bare alias: `sum(x) total`
    this.expectEnd();
    return name === undefined ? child : { k: 'alias', child, name };
  }

  schema(): StructType {
    const fields = this.fieldList();
    this.expectEnd();
    return structOf(fields);
  }

  expectEnd(): void {
    const t = this.peek();
    if (t.kind !== 'eof') this.fail(`unexpected ${quote(t)}${reservedHint(t)}`, t);
  }

  // ---- boolean and predicate levels ---------------------------------------------------------

  private or(): Expr {
    return this.chain(() => {
      let left = this.and();
      while (this.acceptWord('OR')) left = this.link('or', left, () => this.and());
      return left;
    });
  }

  private and(): Expr {
    return this.chain(() => {
      let left = this.not();
      while (this.acceptWord('AND')) left = this.link('and', left, () => this.not());
      return left;
    });
  }

  private not(): Expr {
    if (this.acceptWord('NOT') || this.acceptOp('!')) return { k: 'not', child: this.nested(() => this.not()) };
    return this.comparison();
  }

  /** Comparisons and predicates, left to right: `a = b IS NULL` is `(a = b) IS NULL`. */
  private comparison(): Expr {
    return this.chain(() => {
      let left = this.arithmetic(1);
      for (;;) {
        const t = this.peek();
        const op = t.kind === 'op' ? COMPARISONS[t.value] : undefined;
        if (op !== undefined) {
          this.next();
          left = this.link(op, left, () => this.arithmetic(1));
          continue;
        }
        this.deeper();
        const predicate = this.predicate(left);
        if (predicate === undefined) return left;
        left = predicate;
      }
    });
  }

  private predicate(child: Expr): Expr | undefined {
    if (this.acceptWord('IS')) return this.isPredicate(child);
    const negated = this.isWord(this.peek(), 'NOT');
    if (negated) {
      // After a complete operand NOT can only negate a predicate.
      const t = this.peek(1);
      if (t.kind !== 'word' || !PREDICATE_WORDS.has(t.value.toUpperCase())) {
        this.fail(`expected IN, BETWEEN, LIKE, RLIKE or REGEXP after NOT but found ${this.describe(t)}`, t);
      }
      this.next();
    }
    const t = this.peek();
    const word = t.kind === 'word' ? t.value.toUpperCase() : '';
    if (!PREDICATE_WORDS.has(word)) return undefined;
    this.next();
    switch (word) {
      case 'IN': return { k: 'in', child, list: this.inList(), negated };
      case 'BETWEEN': {
        // The bounds stop below comparisons, so the AND between them is not a conjunction.
        const low = this.arithmetic(1);
        this.expectWord('AND', 'between the bounds of BETWEEN');
        return { k: 'between', child, low, high: this.arithmetic(1), negated };
      }
      default:
        return { k: 'like', child, pattern: this.arithmetic(1), negated, regex: word !== 'LIKE' };
    }
  }

  /** After IS: `[NOT] NULL` or `[NOT] DISTINCT FROM x`. */
  private isPredicate(child: Expr): Expr {
    const negated = this.acceptWord('NOT');
    if (this.acceptWord('NULL')) return { k: 'isNull', child, negated };
    if (this.acceptWord('DISTINCT')) {
      this.expectWord('FROM', 'after IS DISTINCT');
      const same = binary('<=>', child, this.arithmetic(1));
      return negated ? same : { k: 'not', child: same };
    }
    const t = this.peek();
    return this.fail(`expected NULL, NOT NULL or DISTINCT FROM after IS but found ${this.describe(t)}`, t);
  }

  private inList(): Expr[] {
    this.expectOp('(', 'after IN');
    const list: Expr[] = [];
    do list.push(this.expression());
    while (this.acceptOp(','));
    this.expectOp(')', 'to close the IN list', "','");
    return list;
  }

  // ---- arithmetic ---------------------------------------------------------------------------

  /** Binary operators that bind at least as tightly as `minPower`, left-associative. */
  private arithmetic(minPower: number): Expr {
    return this.chain(() => {
      let left = this.unary();
      for (;;) {
        const t = this.peek();
        const entry = t.kind === 'op' ? ARITHMETIC[t.value] : this.isWord(t, 'DIV') ? ARITHMETIC['DIV'] : undefined;
        if (entry === undefined || entry.power < minPower) return left;
        this.next();
        left = this.link(entry.op, left, () => this.arithmetic(entry.power + 1));
      }
    });
  }

  private unary(): Expr {
    if (this.acceptOp('-')) {
      // `-5` is the literal -5 (so -2147483648 is still an INT), not a negation of 5.
      if (this.peek().kind === 'number') return this.postfix(this.numberLiteral(this.next(), true));
      return { k: 'neg', child: this.nested(() => this.unary()) };
    }
    if (this.acceptOp('+')) return this.nested(() => this.unary());
    return this.postfix(this.primary());
  }

  /** `.name` and `[index]` after an operand. */
  private postfix(base: Expr): Expr {
    let e = base;
    for (;;) {
      if (this.acceptOp('[')) {
        const index = this.expression();
        this.expectOp(']', 'to close the subscript');
        e = { k: 'item', child: e, index };
      } else if (this.acceptOp('.')) {
        const t = this.peek();
        if (this.isOp(t, '*')) {
          this.fail("'.*' is only allowed as a whole select item or as a function argument, as in count(t.*)", t);
        }
        // Any word may follow a dot, keywords included: `window.end` is a field, not END.
        if (t.kind !== 'word' && t.kind !== 'quoted') this.fail(`expected a field name after '.' but found ${this.describe(t)}`, t);
        this.next();
        // As in Spark, a dot after a column extends its path; on anything else it reads a field.
        e = e.k === 'col' ? colRef([...e.path, t.value]) : { k: 'field', child: e, name: t.value };
      } else {
        return e;
      }
    }
  }

  // ---- primaries ----------------------------------------------------------------------------

  private primary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'number': return this.numberLiteral(this.next(), false);
      case 'string': return literal(this.stringValue(), STRING);
      case 'quoted': return this.nameOrCall();
      case 'word': return this.wordPrimary(t);
      case 'op':
        if (this.acceptOp('(')) {
          const inner = this.expression();
          this.expectOp(')', "to close '('");
          return inner;
        }
        return this.fail(`unexpected ${quote(t)}`, t);
      case 'eof': {
        const prev = this.tokens[this.at - 1];
        const wanted = prev ? `an operand after ${quote(prev)}` : 'an expression';
        return this.fail(`unexpected end of ${this.subject}: expected ${wanted}`, t);
      }
    }
  }

  private wordPrimary(t: Token): Expr {
    const next = this.peek(1);
    switch (t.value.toUpperCase()) {
      case 'TRUE': this.next(); return literal(true, BOOLEAN);
      case 'FALSE': this.next(); return literal(false, BOOLEAN);
      case 'NULL': this.next(); return literal(null, NULL);
      case 'CASE': return this.caseExpr();
      case 'CAST': return this.castExpr();
      case 'INTERVAL': return this.intervalExpr();
      // Typed literals only when a string follows: otherwise `date` is an ordinary column.
      case 'TIMESTAMP': case 'DATE':
        if (next.kind === 'string') return this.timestampLiteral();
        break;
    }
    if (NILADIC.has(t.value.toLowerCase()) && !this.isOp(next, '(')) {
      this.next();
      return call(t.value.toLowerCase(), []);
    }
    if (RESERVED.has(t.value.toUpperCase())) this.fail(`unexpected ${quote(t)}${reservedHint(t)}`, t);
    return this.nameOrCall();
  }

  /** A column name (dots are read by `postfix`) or a function call `name(args)`. */
  private nameOrCall(): Expr {
    const name = this.next();
    if (!this.acceptOp('(')) return colRef([name.value]);
    const fn = name.value.toLowerCase();
    if (this.acceptOp(')')) return call(fn, []);
    const distinct = this.acceptWord('DISTINCT');
    const args: Expr[] = [];
    do args.push(this.tryStar() ?? this.expression());
    while (this.acceptOp(','));
    this.expectOp(')', `to close the arguments of ${fn}`, "','");
    return distinct ? { k: 'call', name: fn, args, distinct: true } : call(fn, args);
  }

  /** `*` or `a.b.*`, consumed only when the whole form is there. */
  private tryStar(): Star | undefined {
    if (this.acceptOp('*')) return { k: 'star' };
    const target: string[] = [];
    for (let i = 0; this.isOp(this.peek(i + 1), '.'); i += 2) {
      const part = this.peek(i);
      if (i === 0 ? !this.isName(part) : part.kind !== 'word' && part.kind !== 'quoted') return undefined;
      target.push(part.value);
      if (this.isOp(this.peek(i + 2), '*')) {
        this.at += i + 3;
        return { k: 'star', target };
      }
    }
    return undefined;
  }

  private caseExpr(): Case {
    this.next();
    // `CASE x WHEN v THEN r` compares x with each v.
    const operand = this.isWord(this.peek(), 'WHEN') ? undefined : this.expression();
    if (!this.isWord(this.peek(), 'WHEN')) {
      this.fail(`expected WHEN after ${operand ? 'the CASE operand' : 'CASE'} but found ${this.describe(this.peek())}`, this.peek());
    }
    const branches: { when: Expr; then: Expr }[] = [];
    while (this.acceptWord('WHEN')) {
      const condition = this.expression();
      this.expectWord('THEN', 'after the WHEN condition');
      const when = operand ? binary('=', operand, condition) : condition;
      branches.push({ when, then: this.expression() });
    }
    if (this.acceptWord('ELSE')) {
      const otherwise = this.expression();
      this.expectWord('END', 'to close the CASE expression');
      return { k: 'case', branches, otherwise };
    }
    const t = this.peek();
    if (!this.acceptWord('END')) this.fail(`expected WHEN, ELSE or END in the CASE expression but found ${this.describe(t)}`, t);
    return { k: 'case', branches };
  }

  private castExpr(): Expr {
    this.next();
    this.expectOp('(', 'after CAST');
    const child = this.expression();
    this.expectWord('AS', 'after the value in CAST');
    const to = this.dataType('in CAST');
    this.expectOp(')', 'to close CAST');
    return { k: 'cast', child, to };
  }

  // ---- literals -----------------------------------------------------------------------------

  private numberLiteral(t: Token, negative: boolean): Literal {
    const [, digits, suffix] = /^(.*?)(bd|[lsydf])?$/i.exec(t.value)!;
    const text = (negative ? '-' : '') + digits!;
    const s = suffix?.toLowerCase();
    if (s === 'd' || s === 'f' || s === 'bd' || !/^-?\d+$/.test(text)) {
      const x = Number(text);
      // As Spark: a literal beyond a double's range is refused, never silently Infinity.
      if (!Number.isFinite(x)) this.fail(`numeric literal ${negative ? '-' : ''}${t.text} is out of range for DOUBLE (at most ±1.7976931348623157E308)`, t);
      return literal(x, DOUBLE);
    }
    const n = BigInt(text);
    if (s !== undefined) {
      const range = INT_RANGES[s]!;
      if (!fits(n, range.bits)) this.fail(`integer literal ${negative ? '-' : ''}${t.text} is out of range for ${range.sql}`, t);
      return literal(Number(n), range.type);
    }
    if (fits(n, 32n)) return literal(Number(n), INTEGER);
    if (fits(n, 64n)) return literal(Number(n), LONG);
    // Spark makes such literals DECIMAL, which is DOUBLE here.
    return literal(Number(n), DOUBLE);
  }

  /** Adjacent string literals are one string: 'a' 'b' is 'ab'. */
  private stringValue(): string {
    let value = '';
    while (this.peek().kind === 'string') value += this.next().value;
    return value;
  }

  /** `TIMESTAMP '2019-02-05 10:05:00'` or `DATE '2019-02-05'`, read as UTC. */
  private timestampLiteral(): Literal {
    const keyword = this.next().value.toUpperCase();
    const t = this.next();
    const date = parseTimestamp(t.value, keyword === 'DATE');
    if (date === undefined) {
      const form = keyword === 'DATE' ? 'yyyy-MM-dd' : 'yyyy-MM-dd HH:mm:ss[.SSS]';
      this.fail(`invalid ${keyword} literal ${t.text}: expected '${form}'`, t);
    }
    return literal(date, TIMESTAMP);
  }

  /** `INTERVAL '1 hour'`, `INTERVAL '10' MINUTE` or `INTERVAL 1 HOUR 30 MINUTES`. */
  private intervalExpr(): Expr {
    const keyword = this.next();
    const first = this.peek();
    if (first.kind === 'string' && !this.isIntervalUnit(this.peek(1))) {
      this.next();
      return this.interval(first.value, first);
    }
    const parts = [this.intervalPart()];
    while (this.startsIntervalPart()) parts.push(this.intervalPart());
    return this.interval(parts.join(' '), keyword);
  }

  private intervalPart(): string {
    const sign = this.acceptOp('-') ? '-' : '';
    const value = this.peek();
    const plainNumber = value.kind === 'number' && /^\d+(\.\d+)?$/.test(value.value);
    if (!plainNumber && value.kind !== 'string') {
      this.fail(`expected an interval such as '1 hour' or 1 HOUR after INTERVAL but found ${this.describe(value)}`, value);
    }
    this.next();
    const unit = this.peek();
    if (!this.isIntervalUnit(unit)) {
      this.fail(`expected an interval unit such as HOUR or MINUTE after ${quote(value)} but found ${this.describe(unit)}`, unit);
    }
    this.next();
    return `${sign}${value.value} ${unit.value}`;
  }

  /** Another `[-]value unit` pair follows, as in `1 hour 30 minutes`. */
  private startsIntervalPart(): boolean {
    const offset = this.isOp(this.peek(), '-') ? 1 : 0;
    const value = this.peek(offset);
    return (value.kind === 'number' || value.kind === 'string') && this.isIntervalUnit(this.peek(offset + 1));
  }

  private isIntervalUnit(t: Token): boolean {
    return t.kind === 'word' && INTERVAL_UNIT.test(t.value);
  }

  private interval(text: string, at: Token): Expr {
    try {
      const { ms, months } = parseInterval(text);
      return { k: 'interval', ms, months };
    } catch (e) {
      if (e instanceof AnalysisError) this.fail(e.message, at);
      throw e;
    }
  }

  // ---- types and schemas --------------------------------------------------------------------

  /** `a INT, b STRING NOT NULL, c STRUCT<x: DOUBLE>`: a comma-separated list of fields. */
  private fieldList(): Field[] {
    const fields: Field[] = [];
    const seen = new Set<string>();
    do {
      const t = this.peek();
      // Keywords are fine as field names here, where nothing else can stand.
      if (t.kind !== 'word' && t.kind !== 'quoted') this.fail(`expected a field name but found ${this.describe(t)}`, t);
      this.next();
      if (seen.has(t.value)) this.fail(`duplicate field name '${t.value}': field names must be unique`, t);
      seen.add(t.value);
      fields.push(this.fieldRest(t.value));
    } while (this.acceptOp(','));
    return fields;
  }

  /** What follows a field's name: `[:] type [NOT NULL] [COMMENT 'text']`. */
  private fieldRest(name: string): Field {
    this.acceptOp(':');
    const type = this.dataType(`for field '${name}'`);
    let nullable = true;
    if (this.acceptWord('NOT')) {
      this.expectWord('NULL', `after NOT in field '${name}'`);
      nullable = false;
    }
    if (this.acceptWord('COMMENT')) {
      const t = this.peek();
      if (t.kind !== 'string') this.fail(`expected a string after COMMENT but found ${this.describe(t)}`, t);
      this.next();
    }
    return fieldOf(name, type, nullable);
  }

  /** A type: an atomic name (`INT`, `DECIMAL(10, 2)`) or a nested ARRAY, MAP or STRUCT. */
  private dataType(context: string): DataType {
    return this.nested(() => this.typeAt(context));
  }

  private typeAt(context: string): DataType {
    const t = this.peek();
    if (t.kind !== 'word') this.fail(`expected a type ${context} but found ${this.describe(t)}`, t);
    this.next();
    switch (t.value.toUpperCase()) {
      case 'ARRAY': {
        this.expectOp('<', 'after ARRAY');
        const element = this.dataType(context);
        this.expectOp('>', 'to close ARRAY<...>');
        return arrayOf(element);
      }
      case 'MAP': {
        this.expectOp('<', 'after MAP');
        const key = this.dataType(context);
        this.expectOp(',', 'between the key and value types of MAP');
        const value = this.dataType(context);
        this.expectOp('>', 'to close MAP<...>');
        return mapOf(key, value);
      }
      case 'STRUCT': return this.structType();
    }
    const name = t.value + (this.isOp(this.peek(), '(') ? this.typeParameters() : '');
    const type = parseTypeName(name);
    if (type === undefined) this.fail(`unknown type '${name}' ${context}`, t);
    return type;
  }

  private structType(): StructType {
    if (this.acceptOp('<>')) return structOf([]);
    this.expectOp('<', 'after STRUCT');
    if (this.acceptOp('>')) return structOf([]);
    const fields = this.fieldList();
    this.expectOp('>', 'to close STRUCT<...>', "','");
    return structOf(fields);
  }

  /** `(10, 2)` after DECIMAL or `(20)` after VARCHAR, as text for parseTypeName. */
  private typeParameters(): string {
    this.next();
    const params: string[] = [];
    do {
      const t = this.peek();
      if (t.kind !== 'number' || !/^\d+$/.test(t.value)) this.fail(`expected a whole number type parameter but found ${this.describe(t)}`, t);
      params.push(this.next().value);
    } while (this.acceptOp(','));
    this.expectOp(')', 'to close the type parameters', "','");
    return `(${params.join(',')})`;
  }

  // ---- names --------------------------------------------------------------------------------

  private aliasName(): string {
    const t = this.peek();
    if (!this.isName(t)) this.fail(`expected a name after AS but found ${this.describe(t)}${reservedHint(t)}`, t);
    return this.next().value;
  }

  /** A token usable as a name on its own: quoted, or a word that is not reserved. */
  private isName(t: Token): boolean {
    return t.kind === 'quoted' || (t.kind === 'word' && !RESERVED.has(t.value.toUpperCase()));
  }

  /** Runs a recursive step, refusing input nested deeply enough to overflow the stack. */
  private nested<T>(parse: () => T): T {
    this.deeper();
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  /** One more level of the tree being built (the caller gives it back). */
  private deeper(): void {
    if (++this.depth > MAX_DEPTH) this.fail(`${this.subject} nested too deeply (more than ${MAX_DEPTH} levels)`, this.peek());
  }

  /**
   * Parses a chain of left-associative operators. Each operator adds a level to the tree as
   * nesting does (a + b + c is ((a + b) + c)), and later stages walk it recursively: a chain
   * counts against the same depth limit, so 4,000 ORs are a ParseError, not a stack overflow.
   */
  private chain(parse: () => Expr): Expr {
    const depth = this.depth;
    try {
      return parse();
    } finally {
      this.depth = depth;
    }
  }

  /** `left op right` in a chain: one level deeper. */
  private link(op: Parameters<typeof binary>[0], left: Expr, right: () => Expr): Expr {
    this.deeper();
    return binary(op, left, right());
  }

  // ---- token helpers ------------------------------------------------------------------------

  private peek(ahead = 0): Token {
    const i = this.at + ahead;
    while (this.tokens.length <= i && this.tokens[this.tokens.length - 1]?.kind !== 'eof') {
      this.tokens.push(this.lexer.next());
    }
    return this.tokens[Math.min(i, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.at++;
    return t;
  }

  private isWord(t: Token, keyword: string): boolean {
    return t.kind === 'word' && t.value.toUpperCase() === keyword;
  }

  private isOp(t: Token, op: string): boolean {
    return t.kind === 'op' && t.value === op;
  }

  private acceptWord(keyword: string): boolean {
    if (!this.isWord(this.peek(), keyword)) return false;
    this.at++;
    return true;
  }

  private acceptOp(op: string): boolean {
    if (!this.isOp(this.peek(), op)) return false;
    this.at++;
    return true;
  }

  private expectWord(keyword: string, where: string): void {
    const t = this.peek();
    if (!this.acceptWord(keyword)) this.fail(`expected ${keyword} ${where} but found ${this.describe(t)}`, t);
  }

  /** Consumes `op`; `alternative` names another token that would have been valid, e.g. ','. */
  private expectOp(op: string, where: string, alternative?: string): void {
    const t = this.peek();
    if (this.acceptOp(op)) return;
    const wanted = alternative ? `${alternative} or '${op}'` : `'${op}'`;
    this.fail(`expected ${wanted} ${where} but found ${this.describe(t)}`, t);
  }

  private describe(t: Token): string {
    return t.kind === 'eof' ? `the end of the ${this.subject}` : quote(t);
  }

  private fail(reason: string, at: Token): never {
    throw new ParseError(reason, this.sql, at.pos);
  }
}

function binary(op: BinaryOp, left: Expr, right: Expr): Expr {
  return { k: 'binary', op, left, right };
}

function quote(t: Token): string {
  return `'${t.text}'`;
}

function reservedHint(t: Token): string {
  return t.kind === 'word' && RESERVED.has(t.value.toUpperCase())
    ? ` (${t.value.toUpperCase()} is a reserved word: write \`${t.value}\` to use it as a name)`
    : '';
}

/** Whether `n` fits in a signed integer of `bits` bits. */
function fits(n: bigint, bits: bigint): boolean {
  const limit = 1n << (bits - 1n);
  return n >= -limit && n < limit;
}

const TIMESTAMP_TEXT =
  /^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/** A UTC Date from `yyyy-MM-dd[ HH:mm[:ss[.fff]]][Z|±HH:mm]`; undefined if malformed or impossible. */
function parseTimestamp(text: string, dateOnly: boolean): Date | undefined {
  const m = TIMESTAMP_TEXT.exec(text.trim());
  if (!m || (dateOnly && (m[4] !== undefined || m[8] !== undefined))) return undefined;
  // Missing month and day default to 1, missing time fields to 0, as in Spark.
  const field = (i: number, fallback: number): number => (m[i] === undefined ? fallback : Number(m[i]));
  const [year, month, day] = [field(1, 0), field(2, 1), field(3, 1)];
  const [hour, minute, second] = [field(4, 0), field(5, 0), field(6, 0)];
  const ms = Number((m[7] ?? '0').slice(0, 3).padEnd(3, '0'));
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const d = new Date(utc);
  // Date.UTC rolls 2019-02-30 over into March: refuse any field that did not survive.
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day
    || d.getUTCHours() !== hour || d.getUTCMinutes() !== minute || d.getUTCSeconds() !== second) return undefined;
  return new Date(utc - offsetMinutes(m[8]) * 60_000);
}

function offsetMinutes(zone: string | undefined): number {
  if (zone === undefined || zone === 'Z') return 0;
  const digits = zone.replace(':', '');
  const minutes = Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5));
  return zone.startsWith('-') ? -minutes : minutes;
}
