// A small JSON reader that keeps what JSON.parse loses and Spark keeps: a number's own text
// (so 1.0 read into a string field stays "1.0" and a long keeps its digits), key order, and
// Jackson's leniencies that Spark enables (single-quoted strings, NaN and Infinity).

/** A JSON number, kept as written. */
export class JsonNumber {
  constructor(readonly text: string) {}
}

export type JsonObject = Map<string, JsonValue>;
export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;

export class JsonSyntaxError extends Error {}

/** Nesting deeper than this is refused rather than risking the stack (Jackson's own limit). */
const MAX_DEPTH = 1000;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const NON_NUMERIC = /(?:NaN|[+-]?Infinity)/y;
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', "'": "'", '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Parses one JSON value filling the whole text (whitespace aside); throws JsonSyntaxError. */
export function parseJson(text: string): JsonValue {
  const r = new Reader(text);
  const v = r.value(0);
  r.skipSpace();
  if (r.pos < text.length) r.fail('unexpected text after the JSON value');
  return v;
}

/**
 * Parses the JSON value at the start of the text and ignores what follows it, as Spark's
 * from_json and JSON reader do (Jackson reads one value): `{"a":1} x` is `{"a":1}`.
 */
export function parseFirstJsonValue(text: string): JsonValue {
  return new Reader(text).value(0);
}

/** Reads JSON values from a text, from `pos` on (exported for the projected decoder, json-projection.ts). */
export class Reader {
  pos = 0;
  constructor(private text: string) {}

  /** Reads another text from its start (one reader serves many records). */
  reset(text: string, pos: number): void {
    this.text = text;
    this.pos = pos;
  }

  fail(why: string): never {
    throw new JsonSyntaxError(`${why} at character ${this.pos + 1}`);
  }

  skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return;
      this.pos++;
    }
  }

  value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) this.fail(`JSON nested deeper than ${MAX_DEPTH} levels`);
    this.skipSpace();
    const c = this.text[this.pos];
    switch (c) {
      case '{': return this.object(depth);
      case '[': return this.array(depth);
      case '"': case "'": return this.string(c);
      case 't': return this.word('true', true);
      case 'f': return this.word('false', false);
      case 'n': return this.word('null', null);
      case undefined: return this.fail('unexpected end of JSON');
      default: return this.number();
    }
  }

  private word<T>(w: string, v: T): T {
    if (!this.text.startsWith(w, this.pos)) this.fail(`unexpected '${this.text[this.pos]}'`);
    this.pos += w.length;
    return v;
  }

  private number(): JsonNumber {
    for (const re of [NUMBER, NON_NUMERIC]) {
      re.lastIndex = this.pos;
      const m = re.exec(this.text);
      if (m) {
        this.pos += m[0].length;
        return new JsonNumber(m[0]);
      }
    }
    return this.fail(`unexpected '${this.text[this.pos]}'`);
  }

  string(quote: string): string {
    const t = this.text;
    let out = '';
    let start = ++this.pos;
    for (;;) {
      if (this.pos >= t.length) this.fail('unclosed string');
      const c = t[this.pos]!;
      if (c === quote) break;
      if (c.charCodeAt(0) < 0x20) this.fail('control character in a string; escape it');
      if (c !== '\\') {
        this.pos++;
        continue;
      }
      out += t.slice(start, this.pos);
      const e = t[this.pos + 1] ?? '';
      if (e === 'u') {
        const hex = t.slice(this.pos + 2, this.pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape');
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += 6;
      } else {
        const decoded = ESCAPES[e];
        if (decoded === undefined) this.fail(`bad escape '\\${e}'`);
        out += decoded;
        this.pos += 2;
      }
      start = this.pos;
    }
    out += t.slice(start, this.pos);
    this.pos++;
    return out;
  }

  private array(depth: number): JsonValue[] {
    this.pos++;
    const out: JsonValue[] = [];
    this.skipSpace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.skipSpace();
      const c = this.text[this.pos++];
      if (c === ']') return out;
      if (c !== ',') this.fail("expected ',' or ']'");
    }
  }

  private object(depth: number): JsonObject {
    this.pos++;
    const out: JsonObject = new Map();
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      const q = this.text[this.pos];
      if (q !== '"' && q !== "'") this.fail('expected a quoted field name');
      const key = this.string(q);
      this.skipSpace();
      if (this.text[this.pos++] !== ':') this.fail("expected ':'");
      out.set(key, this.value(depth + 1));
      this.skipSpace();
      const c = this.text[this.pos++];
      if (c === '}') return out;
      if (c !== ',') this.fail("expected ',' or '}'");
    }
  }
}

/** Compact JSON text of a parsed value, numbers as written. */
export function writeJson(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof JsonNumber) return v.text;
  if (Array.isArray(v)) return `[${v.map(writeJson).join(',')}]`;
  return `{${[...v].map(([k, x]) => `${JSON.stringify(k)}:${writeJson(x)}`).join(',')}}`;
}

/** The kind of a parsed value, for messages. */
export function jsonKind(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'boolean') return 'a boolean';
  if (v instanceof JsonNumber) return `the number ${v.text}`;
  return Array.isArray(v) ? 'an array' : 'an object';
}
