// Resolves an expression tree against an input schema: names to columns, functions to their
// implementations, and Spark's implicit casts made explicit. Errors name the problem and a fix.
import { AnalysisError, editDistance } from '../errors.js';
import type { BoundExpr, CmpOp } from './bound.js';
import './functions/index.js'; // registers every built-in function
import { castFunction } from './cast.js';
import type { BindContext } from './functions/registry.js';
import { GENERATOR_NAMES, checkArity, isAggregateName, knownFunctionNames, lookupScalar } from './functions/registry.js';
import type { Expr } from './tree.js';
import { autoName, sqlText } from './tree.js';
import type { DataType, Field, StructType } from './types.js';
import {
  BOOLEAN, DOUBLE, LONG, NULL, STRING, TIMESTAMP, isNumeric, structOf, fieldOf, typeToString, widerNumeric,
} from './types.js';

export const DEFAULT_BIND_CONTEXT: BindContext = { timeZone: 'UTC' };

/** A named output column of a projection. */
export interface NamedExpr {
  readonly name: string;
  readonly expr: BoundExpr;
  /** Field metadata carried through (an unchanged watermarked column keeps its delay). */
  readonly metadata?: Field['metadata'];
  readonly nullable: boolean;
}

export function bind(e: Expr, schema: StructType, ctx: BindContext = DEFAULT_BIND_CONTEXT): BoundExpr {
  return new Binder(schema, ctx).bind(e);
}

/** Binds a select list: stars expand, each item gets its Spark name. */
export function bindProjection(items: readonly Expr[], schema: StructType, ctx: BindContext = DEFAULT_BIND_CONTEXT): NamedExpr[] {
  const binder = new Binder(schema, ctx);
  const out: NamedExpr[] = [];
  for (const item of items) {
    if (item.k === 'star') {
      out.push(...binder.expandStar(item.target));
      continue;
    }
    const expr = binder.bind(item);
    const src = item.k === 'col' && item.path.length === 1 ? binder.resolveTop(item.path[0]!) : undefined;
    const named: NamedExpr = {
      name: autoName(item),
      expr,
      nullable: src?.nullable ?? true,
      ...(src?.metadata ? { metadata: src.metadata } : {}),
    };
    out.push(named);
  }
  return out;
}

/** The schema produced by a bound projection. */
export function projectionSchema(items: readonly NamedExpr[]): StructType {
  return structOf(items.map((i) => fieldOf(i.name, i.expr.type, i.nullable, i.metadata)));
}

export function findField(schema: StructType, name: string): Field | undefined {
  return schema.fields.find((f) => f.name === name)
    ?? uniqueOrThrow(schema.fields.filter((f) => f.name.toLowerCase() === name.toLowerCase()), name);
}

function uniqueOrThrow(fields: Field[], name: string): Field | undefined {
  if (fields.length > 1) {
    throw new AnalysisError(`column name '${name}' is ambiguous: it could be ${fields.map((f) => `'${f.name}'`).join(' or ')}; use the exact name`);
  }
  return fields[0];
}

class Binder {
  constructor(private readonly schema: StructType, private readonly ctx: BindContext) {}

  resolveTop(name: string): Field | undefined {
    return findField(this.schema, name);
  }

  expandStar(target: readonly string[] | undefined): NamedExpr[] {
    if (!target) {
      return this.schema.fields.map((f) => ({
        name: f.name, expr: { k: 'ref', name: f.name, type: f.type }, nullable: f.nullable,
        ...(f.metadata ? { metadata: f.metadata } : {}),
      }));
    }
    const base = this.bind({ k: 'col', path: target });
    if (base.type.kind !== 'struct') {
      throw new AnalysisError(`cannot expand '${target.join('.')}.*': '${target.join('.')}' is ${typeToString(base.type)}, not a struct`);
    }
    return base.type.fields.map((f) => ({
      name: f.name, expr: { k: 'field', child: base, name: f.name, type: f.type }, nullable: true,
    }));
  }

  bind(e: Expr): BoundExpr {
    switch (e.k) {
      case 'col': return this.column(e.path);
      case 'star':
        throw new AnalysisError(`'*' can only be used in a select list or in count(*)`);
      case 'lit': return { k: 'lit', value: e.value, type: e.type };
      case 'interval':
        throw new AnalysisError(`${sqlText(e)} can only be added to or subtracted from a timestamp`);
      case 'alias': return this.bind(e.child);
      case 'binary': return this.binary(e.op, e.left, e.right);
      case 'not': return { k: 'not', child: this.boolean(e.child, 'NOT'), type: BOOLEAN };
      case 'neg': {
        const c = this.bind(e.child);
        const n = isNumeric(c.type) ? c : this.castTo(c, DOUBLE);
        return { k: 'neg', child: n, type: n.type };
      }
      case 'isNull': return { k: 'isNull', child: this.bind(e.child), negated: e.negated, type: BOOLEAN };
      case 'in': {
        const child = this.bind(e.child);
        const list = e.list.map((x) => this.bind(x));
        const t = list.reduce<DataType>((acc, x) => commonType(acc, x.type, 'IN'), child.type);
        return { k: 'in', child: this.castTo(child, t), list: list.map((x) => this.castTo(x, t)), negated: e.negated, type: BOOLEAN };
      }
      case 'between': {
        const inner: Expr = {
          k: 'binary', op: 'and',
          left: { k: 'binary', op: '>=', left: e.child, right: e.low },
          right: { k: 'binary', op: '<=', left: e.child, right: e.high },
        };
        return this.bind(e.negated ? { k: 'not', child: inner } : inner);
      }
      case 'like': {
        const child = this.toStringExpr(this.bind(e.child));
        const pattern = this.toStringExpr(this.bind(e.pattern));
        return { k: 'like', child, pattern, negated: e.negated, regex: e.regex, type: BOOLEAN };
      }
      case 'case': {
        const branches = e.branches.map((b) => ({ when: this.boolean(b.when, 'CASE WHEN'), then: this.bind(b.then) }));
        const otherwise = e.otherwise ? this.bind(e.otherwise) : null;
        const t = [...branches.map((b) => b.then.type), ...(otherwise ? [otherwise.type] : [])]
          .reduce<DataType>((acc, x) => commonType(acc, x, 'CASE'), NULL);
        return {
          k: 'case',
          branches: branches.map((b) => ({ when: b.when, then: this.castTo(b.then, t) })),
          otherwise: otherwise ? this.castTo(otherwise, t) : null,
          type: t,
        };
      }
      case 'cast': return this.castTo(this.bind(e.child), e.to);
      case 'call': return this.call(e);
      case 'field': {
        const child = this.bind(e.child);
        return this.fieldOf(child, e.name, sqlText(e.child));
      }
      case 'item': {
        const child = this.bind(e.child);
        const index = this.bind(e.index);
        if (child.type.kind === 'array') return { k: 'item', child, index: this.castTo(index, LONG), type: child.type.element };
        if (child.type.kind === 'map') return { k: 'item', child, index: this.castTo(index, STRING), type: child.type.value };
        throw new AnalysisError(`cannot index ${sqlText(e.child)} of type ${typeToString(child.type)}: only arrays and maps take [ ]`);
      }
      case 'udf': return {
        k: 'call',
        fn: { name: e.name, type: e.returnType, impl: e.fn, nullIntolerant: false },
        args: e.args.map((a) => this.bind(a)),
        type: e.returnType,
      };
    }
  }

  private column(path: readonly string[]): BoundExpr {
    const top = this.resolveTop(path[0]!);
    if (!top) {
      const names = this.schema.fields.map((f) => `\`${f.name}\``).join(', ');
      throw new AnalysisError(
        `cannot resolve column \`${path.join('.')}\`: the input columns are [${names}]; check the name or select it before this step`,
      );
    }
    let e: BoundExpr = { k: 'ref', name: top.name, type: top.type };
    for (let i = 1; i < path.length; i++) e = this.fieldOf(e, path[i]!, path.slice(0, i).join('.'));
    return e;
  }

  private fieldOf(child: BoundExpr, name: string, childText: string): BoundExpr {
    if (child.type.kind !== 'struct') {
      throw new AnalysisError(`cannot take field '${name}' of \`${childText}\`: it is ${typeToString(child.type)}, not a struct`);
    }
    const f = findField(child.type, name);
    if (!f) {
      throw new AnalysisError(`struct \`${childText}\` has no field '${name}'; its fields are [${child.type.fields.map((x) => x.name).join(', ')}]`);
    }
    return { k: 'field', child, name: f.name, type: f.type };
  }

  private boolean(e: Expr, where: string): BoundExpr {
    const b = this.bind(e);
    if (b.type.kind === 'boolean' || b.type.kind === 'null') return b;
    throw new AnalysisError(`${where} needs a boolean condition, but ${sqlText(e)} is ${typeToString(b.type)}`);
  }

  private binary(op: string, l: Expr, r: Expr): BoundExpr {
    if (op === 'and' || op === 'or') {
      return { k: op, left: this.boolean(l, op.toUpperCase()), right: this.boolean(r, op.toUpperCase()), type: BOOLEAN };
    }
    if ((op === '+' || op === '-') && (r.k === 'interval' || l.k === 'interval')) return this.intervalArith(op, l, r);
    const left = this.bind(l);
    const right = this.bind(r);
    if (op === '||') return { k: 'concat', args: [this.toStringExpr(left), this.toStringExpr(right)], type: STRING };
    if (op === '+' || op === '-' || op === '*' || op === '/' || op === '%' || op === 'div') {
      if (op === '-' && left.type.kind === 'timestamp' && right.type.kind === 'timestamp') {
        throw new AnalysisError(`subtracting timestamps is not supported; compare them, or use unix_timestamp() to get seconds`);
      }
      const lt = numericOperand(left, op);
      const rt = numericOperand(right, op);
      let t = widerNumeric(lt, rt);
      if (op === '/') t = DOUBLE;
      if (op === 'div') t = LONG;
      const operandType = op === '/' ? DOUBLE : widerNumeric(lt, rt);
      return { k: 'arith', op, left: this.castTo(left, operandType), right: this.castTo(right, operandType), type: t };
    }
    const t = commonType(left.type, right.type, op);
    return { k: 'cmp', op: op as CmpOp, left: this.castTo(left, t), right: this.castTo(right, t), type: BOOLEAN };
  }

  private intervalArith(op: '+' | '-', l: Expr, r: Expr): BoundExpr {
    const [tsExpr, iv] = r.k === 'interval' ? [l, r] : [r, l];
    if (iv.k !== 'interval') throw new AnalysisError('internal: interval expected');
    if (op === '-' && l.k === 'interval') throw new AnalysisError(`cannot subtract a timestamp from an interval: write timestamp - interval`);
    const ts = this.castTo(this.bind(tsExpr), TIMESTAMP);
    const sign = op === '-' ? -1 : 1;
    return { k: 'tsAdd', child: ts, ms: sign * iv.ms, months: sign * iv.months, type: TIMESTAMP };
  }

  private call(e: Extract<Expr, { k: 'call' }>): BoundExpr {
    const name = e.name.toLowerCase();
    if (name === 'struct' || name === 'named_struct') return this.struct(e);
    const def = lookupScalar(name);
    if (!def) {
      if (isAggregateName(name)) {
        throw new AnalysisError(`aggregate function ${name}() is only allowed in groupBy(...).agg(...) or df.agg(...), not in ${'select/filter/withColumn'}`);
      }
      if (GENERATOR_NAMES.has(name)) {
        throw new AnalysisError(`${name}() is a generator: use it alone as a select item, e.g. select(explode(col('xs')).alias('x'))`);
      }
      if (name === 'window' || name === 'session_window') {
        throw new AnalysisError(`${name}() can only be used as a grouping column: groupBy(${name}(...))`);
      }
      if (name === 'sort_order') {
        throw new AnalysisError('asc() / desc() (and their nulls-first / nulls-last forms) give a sort key: use them in orderBy(...) or sort(...), not as a column');
      }
      throw new AnalysisError(`undefined function ${name}()${didYouMean(name)}`);
    }
    checkArity(name, def.minArgs, def.maxArgs, e.args.length);
    const args = e.args.map((a) => (a.k === 'star' ? ({ k: 'lit', value: 1, type: LONG } as BoundExpr) : this.bind(a)));
    const bound = def.bind(args, e.options, this.ctx);
    const fn = { ...bound, origin: { name, timeZone: this.ctx.timeZone, ...(e.options ? { options: e.options } : {}) } };
    return { k: 'call', fn, args, type: fn.type };
  }

  private struct(e: Extract<Expr, { k: 'call' }>): BoundExpr {
    const names: string[] = [];
    const args: BoundExpr[] = [];
    if (e.name.toLowerCase() === 'named_struct') {
      for (let i = 0; i + 1 < e.args.length; i += 2) {
        const n = e.args[i]!;
        if (n.k !== 'lit' || typeof n.value !== 'string') throw new AnalysisError('named_struct takes name, value pairs with literal names');
        names.push(n.value);
        args.push(this.bind(e.args[i + 1]!));
      }
    } else {
      for (const item of bindProjection(e.args, this.schema, this.ctx)) {
        names.push(item.name);
        args.push(item.expr);
      }
    }
    return { k: 'struct', names, args, type: structOf(names.map((n, i) => fieldOf(n, args[i]!.type))) };
  }

  toStringExpr(e: BoundExpr): BoundExpr {
    return e.type.kind === 'string' ? e : this.castTo(e, STRING);
  }

  castTo(e: BoundExpr, to: DataType): BoundExpr {
    if (e.type.kind === 'null') return e.k === 'lit' ? { k: 'lit', value: null, type: to } : e;
    if (typeToString(e.type) === typeToString(to)) return e;
    castFunction(e.type, to); // throws a clear error when impossible
    if (e.k === 'lit' && e.value !== null) {
      const f = castFunction(e.type, to);
      return { k: 'lit', value: f ? f(e.value as never) : e.value, type: to };
    }
    return { k: 'cast', child: e, type: to };
  }
}

function numericOperand(e: BoundExpr, op: string): DataType {
  if (isNumeric(e.type)) return e.type;
  if (e.type.kind === 'null') return LONG;
  if (e.type.kind === 'string') return DOUBLE;
  throw new AnalysisError(`operator ${op} needs numbers, but got ${typeToString(e.type)}; cast the operand first`);
}

/** The type two sides of a comparison (or CASE branches, IN lists) are compared in. */
export function commonType(a: DataType, b: DataType, where: string): DataType {
  if (a.kind === 'null') return b;
  if (b.kind === 'null') return a;
  if (typeToString(a) === typeToString(b)) return a;
  if (isNumeric(a) && isNumeric(b)) return widerNumeric(a, b);
  if ((a.kind === 'string' && isNumeric(b)) || (b.kind === 'string' && isNumeric(a))) return DOUBLE;
  if ((a.kind === 'string' && b.kind === 'timestamp') || (a.kind === 'timestamp' && b.kind === 'string')) return TIMESTAMP;
  if ((a.kind === 'string' && b.kind === 'boolean') || (a.kind === 'boolean' && b.kind === 'string')) return BOOLEAN;
  if (a.kind === 'string' || b.kind === 'string') return STRING;
  throw new AnalysisError(`cannot compare ${typeToString(a)} with ${typeToString(b)} in ${where}; cast one side to the other's type`);
}

function didYouMean(name: string): string {
  const close = knownFunctionNames().filter((n) => editDistance(n, name) <= 2).slice(0, 3);
  return close.length ? `; did you mean ${close.map((n) => `${n}()`).join(' or ')}?` : '';
}

