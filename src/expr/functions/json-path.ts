// get_json_object(json, path): Spark's JSONPath subset ($, .name, ['name'], [n], [*]) over the
// lossless reader, so numbers come back as written. Anything unreadable gives null.
import { STRING } from '../types.js';
import { coerce, literalOf, strictFn } from './define.js';
import { parseFirstJsonValue, writeJson, type JsonValue } from './json-value.js';
import { registerScalar } from './registry.js';

type Step = { readonly k: 'key'; readonly name: string } | { readonly k: 'index'; readonly i: number } | { readonly k: 'all' };

/** `$.a.b[0]['c'][*]` as steps, or undefined for a path Spark would not accept. */
function parseJsonPath(path: string): Step[] | undefined {
  if (!path.startsWith('$')) return undefined;
  const steps: Step[] = [];
  const re = /\.([^.[\]]+)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]|\[\*\]|\.\*/y;
  re.lastIndex = 1;
  while (re.lastIndex < path.length) {
    const m = re.exec(path);
    if (!m) return undefined;
    if (m[1] !== undefined) steps.push({ k: 'key', name: m[1] });
    else if (m[2] !== undefined) steps.push({ k: 'key', name: m[2].replace(/\\(.)/g, '$1') });
    else if (m[3] !== undefined) steps.push({ k: 'index', i: Number(m[3]) });
    else steps.push({ k: 'all' });
  }
  return steps;
}

function follow(v: JsonValue, steps: readonly Step[]): JsonValue[] {
  let current: JsonValue[] = [v];
  for (const s of steps) {
    const next: JsonValue[] = [];
    for (const c of current) {
      if (s.k === 'key' && c instanceof Map && c.has(s.name)) next.push(c.get(s.name)!);
      else if (s.k === 'index' && Array.isArray(c) && s.i < c.length) next.push(c[s.i]!);
      else if (s.k === 'all' && Array.isArray(c)) next.push(...c);
      else if (s.k === 'all' && c instanceof Map) next.push(...c.values());
    }
    current = next;
  }
  return current;
}

function jsonText(v: JsonValue): string | null {
  if (v === null) return null;
  if (typeof v === 'string') return v;
  return writeJson(v);
}

registerScalar({
  name: 'get_json_object', minArgs: 2, maxArgs: 2,
  bind(args) {
    const lit = literalOf(args[1]);
    const fixed = lit && typeof lit.value === 'string' ? parseJsonPath(lit.value.trim()) : undefined;
    const coercers = [coerce('get_json_object', args[0]!, 0, 'string'), coerce('get_json_object', args[1]!, 1, 'string')];
    return strictFn('get_json_object', STRING, coercers, (json: string, path: string) => {
      const steps = fixed ?? parseJsonPath(path.trim());
      if (!steps) return null;
      let root: JsonValue;
      try {
        root = parseFirstJsonValue(json);
      } catch {
        return null;
      }
      const found = follow(root, steps);
      if (found.length === 0) return null;
      const wildcard = steps.some((s) => s.k === 'all');
      return wildcard && found.length > 1 ? writeJson(found) : jsonText(found[0]!);
    });
  },
});
