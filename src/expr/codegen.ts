// Compiles typed expression trees into JavaScript. The code is built from the tree only:
// identifiers and string literals are escaped with JSON.stringify, every other value (dates,
// regexes, function implementations) is passed in a constants table, so user text is never code.
import { isDate } from 'node:util/types';
import type { BoundExpr } from './bound.js';
import { MALFORMED } from './bound.js';
import { castFunction } from './cast.js';
import { own } from './own-properties.js';
import { timestampOrNull } from './time-range.js';
import type { DataType } from './types.js';

/** Escapes a name or string into a JavaScript string literal. */
export const quote = (s: string): string => JSON.stringify(s);

/**
 * A name as a key of a generated object literal: `{ "__proto__": v }` would set the object's
 * prototype instead of a field, so that one name is written as a computed key.
 */
export const propertyKey = (name: string): string => (name === '__proto__' ? `[${quote(name)}]` : quote(name));

/** Names a plain object inherits (`constructor`, `toString`, `__proto__`...): reading one needs an own-property check. */
const isInheritedName = (name: string): boolean => name in Object.prototype;

/** Reads column `name` of the row object in variable `v`: an inherited name only as the row's own field. */
const ownField = (v: string, name: string): string => (isInheritedName(name) ? `c0.own(${v}, ${quote(name)})` : `${v}[${quote(name)}]`);

/**
 * Where generated code finds the columns of the row it works on: a row object held in variable
 * `v`, or each column in its own variable (a fused stage never builds the intermediate rows of
 * its projections). A column may itself be a row known column by column: a join's `left` and
 * `right` sides.
 */
export type RowBinding =
  | { readonly kind: 'object'; readonly v: string }
  | { readonly kind: 'columns'; readonly cols: ReadonlyMap<string, ColumnBinding> };
/** A JavaScript expression (a variable, a literal) holding a column's value, or a nested row. */
export type ColumnBinding = string | RowBinding;

export const objectRow = (v: string): RowBinding => ({ kind: 'object', v });

/** The helpers generated code may call; passed in as constants. */
const RUNTIME = {
  MALFORMED,
  likeToRegex,
  regexCache: new Map<string, RegExp>(),
  addMonths,
  deepEqual,
  compareValues,
  timestampOrNull,
  own,
};

export class Codegen {
  private readonly consts: unknown[] = [];
  private readonly constIds = new Map<unknown, string>();
  private next = 0;
  private out: string[] = [];
  /** The statement that drops the current row (set by whoever owns the row loop). */
  skipRow = 'return';
  /** The last compiled function's text, indented (constants appear as c0, c1, ...), for explain('codegen'). */
  source = '';

  constructor() {
    this.constant(RUNTIME); // c0
  }

  /** A name under which `value` is visible in the generated code; `label` says what it is in printed code. */
  constant(value: unknown, label?: string): string {
    const known = this.constIds.get(value);
    if (known) return known;
    const id = `c${this.consts.length}`;
    this.consts.push(value);
    this.labels.push(label ?? describe(value));
    this.constIds.set(value, id);
    return id;
  }

  private readonly labels: string[] = [];

  fresh(prefix = 'v'): string {
    return `${prefix}${this.next++}`;
  }

  line(code: string): void {
    this.out.push(code);
  }

  /** Runs `emit` collecting its lines apart, for code that goes inside a block. */
  block(emit: () => void): string[] {
    const saved = this.out;
    this.out = [];
    try {
      emit();
      return this.out;
    } finally {
      this.out = saved;
    }
  }

  takeLines(): string[] {
    const l = this.out;
    this.out = [];
    return l;
  }

  /**
   * Compiles a function whose parameters are `params` and whose body is `body`; the constants
   * are bound once, outside the function.
   */
  compile<F>(params: readonly string[], body: readonly string[]): F {
    const header = this.consts.map((_, i) => `const c${i} = k[${i}];`).join('\n');
    const src = `'use strict';\n${header}\nreturn function compiled(${params.join(', ')}) {\n${body.join('\n')}\n};`;
    const legend = this.labels.map((l, i) => `// c${i}: ${l}`).slice(1);
    this.source = [...legend, `function compiled(${params.join(', ')}) {`, ...indent(body), '}'].join('\n');
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- source built from the tree only (see header)
    const factory = new Function('k', src) as (k: unknown[]) => F;
    return factory(this.consts);
  }

  /**
   * Emits the statements computing `e` over a row (a row object's variable, or a binding);
   * returns the JS expression holding the value.
   */
  value(e: BoundExpr, row: string | RowBinding): string {
    switch (e.k) {
      case 'ref':
        return typeof row === 'string' ? this.assign(ownField(row, e.name)) : this.column(row, e.name);
      case 'lit': return this.literal(e.value);
      case 'field': {
        // A field of a row known column by column is that column's binding: nothing to read.
        if (e.child.k === 'ref' && typeof row !== 'string' && row.kind === 'columns') {
          const nested = row.cols.get(e.child.name);
          if (nested !== undefined && typeof nested !== 'string') return this.column(nested, e.name);
        }
        const c = this.value(e.child, row);
        return this.assign(isInheritedName(e.name) ? `${c} == null ? null : c0.own(${c}, ${quote(e.name)})` : `${c} == null ? null : (${c}[${quote(e.name)}] ?? null)`);
      }
      case 'item': {
        const c = this.value(e.child, row);
        const i = this.value(e.index, row);
        // A map key comes from the data: only the map's own entries count.
        const lookup = e.child.type.kind === 'map' ? `c0.own(${c}, ${i})` : `(${c}[${i}] ?? null)`;
        return this.assign(`${c} == null || ${i} == null ? null : ${lookup}`);
      }
      case 'arith': return this.arith(e, row);
      case 'cmp': return this.compare(e, row);
      case 'and': case 'or': return this.logic(e, row);
      case 'not': {
        const c = this.value(e.child, row);
        return this.assign(`${c} == null ? null : !${c}`);
      }
      case 'neg': {
        const c = this.value(e.child, row);
        return this.assign(`${c} == null ? null : -${c}`);
      }
      case 'concat': {
        const parts = e.args.map((a) => this.value(a, row));
        return this.assign(`${parts.map((p) => `${p} == null`).join(' || ')} ? null : ${parts.join(' + ')}`);
      }
      case 'isNull': {
        const c = this.value(e.child, row);
        return this.assign(e.negated ? `${c} != null` : `${c} == null`);
      }
      case 'in': return this.inList(e, row);
      case 'like': return this.like(e, row);
      case 'case': return this.caseWhen(e, row);
      case 'cast': {
        const c = this.value(e.child, row);
        const f = this.castConst(e.child.type, e.type);
        return f ? this.assign(`${c} == null ? null : ${f}(${c})`) : c;
      }
      case 'tsAdd': {
        const c = this.value(e.child, row);
        const shifted = e.months ? `c0.addMonths(${c}, ${e.months})` : c;
        // Past the timestamp range the result is null, never an Invalid Date.
        return this.assign(`${c} == null ? null : c0.timestampOrNull(${shifted}.getTime() + ${num(e.ms)})`);
      }
      case 'call': {
        const args = e.args.map((a) => this.value(a, row));
        const f = this.constant(e.fn.impl, e.type.kind === 'struct' ? `${e.fn.name} → struct<${e.type.fields.map((x) => x.name).join(', ')}>` : e.fn.name);
        const invoke = `${f}(${args.join(', ')})`;
        const v = this.assign(e.fn.nullIntolerant && args.length > 0
          ? `${args.map((a) => `${a} == null`).join(' || ')} ? null : ${invoke}`
          : invoke);
        if (e.fn.mayDropRow) this.line(`if (${v} === c0.MALFORMED) { ${this.skipRow}; }`);
        return v;
      }
      case 'struct': {
        const vals = e.args.map((a) => this.value(a, row));
        return this.assign(`{ ${e.names.map((n, i) => `${propertyKey(n)}: ${vals[i]}`).join(', ')} }`);
      }
    }
  }

  /** A column of a bound row as a JS expression; a nested row becomes an object here. */
  column(row: RowBinding, name: string): string {
    if (row.kind === 'object') return this.assign(ownField(row.v, name));
    const c = row.cols.get(name);
    if (c === undefined) throw new Error(`internal: generated code reads column '${name}', which its row binding lacks`);
    return typeof c === 'string' ? c : this.rowObject(c);
  }

  /** A bound row as an object (the columns in the binding's order). */
  rowObject(row: RowBinding): string {
    if (row.kind === 'object') return row.v;
    const fields = [...row.cols.keys()].map((name) => `${propertyKey(name)}: ${this.column(row, name)}`);
    return this.assign(`{ ${fields.join(', ')} }`);
  }

  /** Emits `const vN = <code>;` and returns vN. */
  assign(code: string): string {
    const v = this.fresh();
    this.line(`const ${v} = ${code};`);
    return v;
  }

  literal(value: unknown): string {
    if (value === null || value === undefined) return 'null';
    if (typeof value === 'boolean') return value ? 'true' : 'false';
    if (typeof value === 'number' && Number.isFinite(value)) return num(value);
    if (typeof value === 'string') return quote(value);
    return this.constant(value);
  }

  private castConst(from: DataType, to: DataType): string | undefined {
    const f = castFunction(from, to);
    return f ? this.constant(f, `cast ${from.kind} to ${to.kind}`) : undefined;
  }

  private arith(e: Extract<BoundExpr, { k: 'arith' }>, row: string | RowBinding): string {
    const l = this.value(e.left, row);
    const r = this.value(e.right, row);
    const nullCheck = `${l} == null || ${r} == null`;
    switch (e.op) {
      case '/': return this.assign(`${nullCheck} || ${r} === 0 ? null : ${l} / ${r}`);
      case '%': return this.assign(`${nullCheck} || ${r} === 0 ? null : ${l} % ${r}`);
      case 'div': return this.assign(`${nullCheck} || ${r} === 0 ? null : Math.trunc(${l} / ${r})`);
      default: {
        const raw = `${l} ${e.op} ${r}`;
        const exact = e.type.kind === 'integer' ? `(${raw}) | 0` : raw;
        return this.assign(`${nullCheck} ? null : ${exact}`);
      }
    }
  }

  private compare(e: Extract<BoundExpr, { k: 'cmp' }>, row: string | RowBinding): string {
    const l = this.value(e.left, row);
    const r = this.value(e.right, row);
    const kind = e.left.type.kind;
    const scalar = kind === 'string' || kind === 'integer' || kind === 'long' || kind === 'double' || kind === 'boolean';
    const a = kind === 'timestamp' ? `${l}.getTime()` : l;
    const b = kind === 'timestamp' ? `${r}.getTime()` : r;
    if (e.op === '<=>') {
      const eq = scalar || kind === 'timestamp' ? `${a} === ${b}` : `c0.deepEqual(${l}, ${r})`;
      return this.assign(`${l} == null ? ${r} == null : ${r} == null ? false : ${eq}`);
    }
    let test: string;
    if (scalar || kind === 'timestamp' || kind === 'null') {
      const op = e.op === '=' ? '===' : e.op === '!=' ? '!==' : e.op;
      test = `${a} ${op} ${b}`;
    } else if (e.op === '=' || e.op === '!=') {
      test = `${e.op === '!=' ? '!' : ''}c0.deepEqual(${l}, ${r})`;
    } else {
      test = `c0.compareValues(${l}, ${r}) ${e.op} 0`;
    }
    return this.assign(`${l} == null || ${r} == null ? null : ${test}`);
  }

  private logic(e: Extract<BoundExpr, { k: 'and' | 'or' }>, row: string | RowBinding): string {
    // Three-valued logic with short-circuit: the right side is evaluated only when needed.
    const decisive = e.k === 'and' ? 'false' : 'true';
    const v = this.fresh();
    const l = this.value(e.left, row);
    this.line(`let ${v};`);
    this.line(`if (${l} === ${decisive}) ${v} = ${decisive}; else {`);
    const r = this.value(e.right, row);
    this.line(`${v} = ${r} === ${decisive} ? ${decisive} : (${l} == null || ${r} == null) ? null : ${e.k === 'and' ? 'true' : 'false'};`);
    this.line('}');
    return v;
  }

  private inList(e: Extract<BoundExpr, { k: 'in' }>, row: string | RowBinding): string {
    const c = this.value(e.child, row);
    const key = (x: string): string => (e.child.type.kind === 'timestamp' ? `${x}.getTime()` : x);
    const allLiteral = e.list.every((x) => x.k === 'lit');
    let found: string;
    let hasNull: string;
    if (allLiteral) {
      const values = e.list.map((x) => (x as { value: unknown }).value);
      const set = new Set(values.filter((x) => x !== null).map((x) => (isDate(x) ? x.getTime() : x)));
      found = `${this.constant(set)}.has(${key(c)})`;
      hasNull = values.includes(null) ? 'true' : 'false';
    } else {
      const items = e.list.map((x) => this.value(x, row));
      found = items.length ? items.map((x) => `(${x} != null && ${key(x)} === ${key(c)})`).join(' || ') : 'false';
      hasNull = items.length ? items.map((x) => `${x} == null`).join(' || ') : 'false';
    }
    const positive = `${c} == null ? null : ${found} ? true : (${hasNull}) ? null : false`;
    const v = this.assign(positive);
    return e.negated ? this.assign(`${v} == null ? null : !${v}`) : v;
  }

  private like(e: Extract<BoundExpr, { k: 'like' }>, row: string | RowBinding): string {
    const c = this.value(e.child, row);
    let re: string;
    if (e.pattern.k === 'lit') {
      if (e.pattern.value === null) return 'null';
      const p = String(e.pattern.value);
      re = this.constant(e.regex ? new RegExp(p) : likeToRegex(p));
    } else {
      const p = this.value(e.pattern, row);
      re = this.assign(`${p} == null ? null : c0.likeToRegex(${p}, ${e.regex})`);
    }
    const test = `${re}.test(${c})`;
    return this.assign(`${c} == null || ${re} == null ? null : ${e.negated ? '!' : ''}${test}`);
  }

  private caseWhen(e: Extract<BoundExpr, { k: 'case' }>, row: string | RowBinding): string {
    const v = this.fresh();
    this.line(`let ${v} = null;`);
    let depth = 0;
    for (const b of e.branches) {
      const cond = this.value(b.when, row);
      this.line(`if (${cond} === true) {`);
      const then = this.value(b.then, row);
      this.line(`${v} = ${then};`);
      this.line('} else {');
      depth++;
    }
    if (e.otherwise) {
      const o = this.value(e.otherwise, row);
      this.line(`${v} = ${o};`);
    }
    for (let i = 0; i < depth; i++) this.line('}');
    return v;
  }
}

/** What a constant of generated code is, for printed code. */
function describe(v: unknown): string {
  if (typeof v === 'function') return v.name ? `function ${v.name}` : 'function';
  if (v instanceof RegExp) return String(v);
  if (v instanceof Set) return `set of ${v.size} values`;
  if (isDate(v)) return v.toISOString();
  if (v !== null && typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

/** Indents generated lines by their braces, so printed code reads as written. */
function indent(lines: readonly string[]): string[] {
  let depth = 1;
  return lines.map((l) => {
    const t = l.trim();
    if (t.startsWith('}')) depth = Math.max(1, depth - 1);
    const out = `${'  '.repeat(depth)}${t}`;
    const opens = (t.match(/{/g) ?? []).length - (t.match(/}/g) ?? []).length + (t.startsWith('}') ? 1 : 0);
    depth = Math.max(1, depth + opens);
    return out;
  });
}

function num(n: number): string {
  return Object.is(n, -0) ? '-0' : String(n);
}

/** Translates a SQL LIKE pattern (`%`, `_`, backslash escapes) into an anchored RegExp. */
export function likeToRegex(pattern: string, isRegex = false): RegExp {
  const cacheKey = `${isRegex ? 'r' : 'l'}:${pattern}`;
  const hit = RUNTIME.regexCache.get(cacheKey);
  if (hit) return hit;
  let re: RegExp;
  if (isRegex) {
    re = new RegExp(pattern);
  } else {
    let src = '';
    for (let i = 0; i < pattern.length; i++) {
      const ch = pattern[i]!;
      if (ch === '\\' && i + 1 < pattern.length) src += escapeRegex(pattern[++i]!);
      else if (ch === '%') src += '[\\s\\S]*';
      else if (ch === '_') src += '[\\s\\S]';
      else src += escapeRegex(ch);
    }
    re = new RegExp(`^${src}$`);
  }
  if (RUNTIME.regexCache.size > 1000) RUNTIME.regexCache.clear();
  RUNTIME.regexCache.set(cacheKey, re);
  return re;
}

function escapeRegex(ch: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(ch) ? `\\${ch}` : ch;
}

export function addMonths(d: Date, months: number): Date {
  const r = new Date(d.getTime());
  const day = r.getUTCDate();
  r.setUTCDate(1);
  r.setUTCMonth(r.getUTCMonth() + months);
  const last = new Date(Date.UTC(r.getUTCFullYear(), r.getUTCMonth() + 1, 0)).getUTCDate();
  r.setUTCDate(Math.min(day, last));
  return r;
}

/** Structural equality for arrays, structs, maps, dates and buffers (SQL `=` on complex types). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a == null || b == null) return false;
  if (isDate(a) && isDate(b)) return a.getTime() === b.getTime();
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a as object);
    const kb = Object.keys(b as object);
    return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

/** Total order used for sorting and for min/max over any type; nulls first. */
export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a == null) return -1;
  if (b == null) return 1;
  if (isDate(a) && isDate(b)) return a.getTime() - b.getTime();
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return Buffer.compare(a, b);
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compareValues(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  if (typeof a === 'object' && typeof b === 'object') {
    return compareValues(Object.values(a as object), Object.values(b as object));
  }
  return String(a) < String(b) ? -1 : 1;
}

/** A single expression as a function of one row (for batch paths and tests). */
export function compileValue(e: BoundExpr): (row: Record<string, unknown>) => unknown {
  const g = new Codegen();
  g.skipRow = 'return c0.MALFORMED';
  const v = g.value(e, 'r');
  return g.compile(['r'], [...g.takeLines(), `return ${v};`]);
}
