// Null handling and conditionals. These see null arguments (nullIntolerant: false): a null is
// what they decide on. Branches are brought to their common type, as Spark's coercion does.
import { AnalysisError } from '../../errors.js';
import type { BoundExpr } from '../bound.js';
import { deepEqual } from '../codegen.js';
import { BOOLEAN, DOUBLE, typeToString } from '../types.js';
import { apply, coerce, coercersTo, commonTypeOf, lenientFn } from './define.js';
import { registerScalar } from './registry.js';

/** Arguments brought to their common type: the type and one converter per argument. */
function unify(fn: string, args: readonly BoundExpr[]) {
  const type = commonTypeOf(fn, args.map((a) => a.type), true);
  return { type, coercers: coercersTo(fn, args, type) };
}

registerScalar({
  name: 'coalesce', minArgs: 1, maxArgs: Infinity,
  bind(args) {
    const { type, coercers } = unify('coalesce', args);
    return {
      name: 'coalesce', type, nullIntolerant: false,
      impl: (...vs: unknown[]) => {
        for (let i = 0; i < vs.length; i++) if (vs[i] != null) return apply(coercers[i], vs[i]);
        return null;
      },
    };
  },
});

registerScalar({
  name: 'nvl', aliases: ['ifnull'], minArgs: 2, maxArgs: 2,
  bind(args) {
    const { type, coercers: [ca, cb] } = unify('nvl', args);
    return lenientFn('nvl', type, [], (a: unknown, b: unknown) => (a != null ? apply(ca, a) : apply(cb, b)));
  },
});

/** nvl2(a, b, c): b when a is not null, else c. */
registerScalar({
  name: 'nvl2', minArgs: 3, maxArgs: 3,
  bind(args) {
    const { type, coercers: [cb, cc] } = unify('nvl2', args.slice(1));
    return lenientFn('nvl2', type, [], (a: unknown, b: unknown, c: unknown) => (a != null ? apply(cb, b) : apply(cc, c)));
  },
});

/** nullif(a, b): null when a equals b, else a. */
registerScalar({
  name: 'nullif', minArgs: 2, maxArgs: 2,
  bind(args) {
    const { coercers: [ca, cb] } = unify('nullif', args);
    return lenientFn('nullif', args[0]!.type, [], (a: unknown, b: unknown) =>
      (a != null && b != null && deepEqual(apply(ca, a), apply(cb, b)) ? null : a));
  },
});

/** if(cond, a, b): a when cond is true; b when it is false or null. */
registerScalar({
  name: 'if', aliases: ['iff'], minArgs: 3, maxArgs: 3,
  bind(args) {
    const cond = args[0]!.type;
    if (cond.kind !== 'boolean' && cond.kind !== 'null') {
      throw new AnalysisError(`if() needs a boolean condition as argument 1, but it is ${typeToString(cond)}`);
    }
    const { type, coercers: [ca, cb] } = unify('if', args.slice(1));
    return lenientFn('if', type, [], (c: unknown, a: unknown, b: unknown) => (c === true ? apply(ca, a) : apply(cb, b)));
  },
});

registerScalar({
  name: 'isnull', minArgs: 1, maxArgs: 1,
  bind: () => lenientFn('isnull', BOOLEAN, [], (v: unknown) => v == null),
});
registerScalar({
  name: 'isnotnull', minArgs: 1, maxArgs: 1,
  bind: () => lenientFn('isnotnull', BOOLEAN, [], (v: unknown) => v != null),
});

/** isnan(null) is false, not null. */
registerScalar({
  name: 'isnan', minArgs: 1, maxArgs: 1,
  bind: (args) => lenientFn('isnan', BOOLEAN, [coerce('isnan', args[0]!, 0, 'double')], (v: number | null) => v !== null && Number.isNaN(v)),
});

/** nanvl(a, b): b when a is NaN; a null `a` stays null. */
registerScalar({
  name: 'nanvl', minArgs: 2, maxArgs: 2,
  bind: (args) => lenientFn('nanvl', DOUBLE, args.map((a, i) => coerce('nanvl', a, i, 'double')),
    (a: number | null, b: number | null) => (a === null ? null : Number.isNaN(a) ? b : a)),
});
