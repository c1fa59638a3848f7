// The settings `spate run` gives the session: from a file (--config: JSON, or Spark's
// spark-defaults.conf form, `key value` or `key=value` per line) overridden by --set key=value.
// `spate.*` keys are checked before anything starts (unknown key, wrong value); other keys are the
// application's own and reach its module as ctx.settings.
import { readFileSync } from 'node:fs';
import { errorMessage } from '../errors.js';
import { levenshtein } from '../expr/functions/string.js';
import { CONF_DEFAULTS, QueryConf } from '../query/conf.js';

/** Keys a session reads besides those with defaults. */
const OTHER_KNOWN_KEYS = ['spate.sql.streaming.checkpointLocation'];

/** A bad command line or configuration: reported without a stack, exit code 2. */
export class UsageError extends Error {}

/** A --config file as flat string settings; nested JSON objects become dotted keys. */
export function readConfigFile(path: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read --config ${path}: ${errorMessage(e)}`);
  }
  if (/\.json$/i.test(path)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`--config ${path} is not valid JSON: ${errorMessage(e)}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new UsageError(`--config ${path} must hold a JSON object of settings, e.g. { "spate.sql.shuffle.partitions": 8 }`);
    }
    return new Map(flatten(parsed as Record<string, unknown>, '', path));
  }
  const out = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^([^\s=]+)\s*(?:=|\s)\s*(.*)$/.exec(line);
    if (!m) throw new UsageError(`--config ${path} line ${i + 1}: expected 'key value' or 'key=value', got '${line}'`);
    out.set(m[1]!, m[2]!);
  });
  return out;
}

function flatten(o: Record<string, unknown>, prefix: string, path: string): [string, string][] {
  return Object.entries(o).flatMap(([k, v]): [string, string][] => {
    const key = prefix + k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return flatten(v as Record<string, unknown>, `${key}.`, path);
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return [[key, String(v)]];
    throw new UsageError(`--config ${path}: setting ${key} must be a string, number or boolean, got ${JSON.stringify(v)}`);
  });
}

/** `key=value` from --set. */
export function parseSet(arg: string): [string, string] {
  const i = arg.indexOf('=');
  if (i <= 0) throw new UsageError(`--set expects key=value, got '${arg}'`);
  return [arg.slice(0, i).trim(), arg.slice(i + 1)];
}

/**
 * What is wrong with these settings, one line per problem: `spate.*` keys the session does not
 * know (with the closest known key), Spark's `spark.*` names, and values that do not parse.
 */
export function checkSettings(settings: ReadonlyMap<string, string>): string[] {
  const known = [...Object.keys(CONF_DEFAULTS), ...OTHER_KNOWN_KEYS];
  const problems: string[] = [];
  for (const key of settings.keys()) {
    if (key.startsWith('spark.')) {
      const ours = `spate.${key.slice('spark.'.length)}`;
      problems.push(known.includes(ours) ? `setting ${key} is Spark's name: use ${ours}` : `unknown setting ${key}: spate's settings start with spate.`);
    } else if (key.startsWith('spate.') && !known.includes(key)) {
      const near = closest(key, known);
      problems.push(`unknown setting ${key}${near ? ` (did you mean ${near}?)` : ''}`);
    }
  }
  if (problems.length === 0) {
    try {
      new QueryConf(new Map([...settings].filter(([k]) => k.startsWith('spate.')))).validate();
    } catch (e) {
      problems.push(errorMessage(e));
    }
  }
  return problems;
}

/** The known key nearest to `key` by edit distance, if near enough to be a typo. */
function closest(key: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(3, Math.floor(key.length / 5)) + 1;
  for (const k of known) {
    const d = levenshtein(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) { best = k; bestDistance = d; }
  }
  return best;
}
