// Decodes, in every parse mode, Avro values that announce far more items than their bytes hold
// (argv[2]: the item type), and prints what each mode gave as JSON. Run with a small heap by
// test/expr/functions/avro-bounds.test.ts: before the bounds check, avsc allocated until the
// process aborted with a V8 heap out-of-memory.
import { col, fromAvro } from '../../src/index.js';
import { bind } from '../../src/expr/analyze.js';
import { compileValue } from '../../src/expr/codegen.js';
import { MALFORMED } from '../../src/expr/bound.js';
import { parseSchemaDDL } from '../../src/expr/parser.js';

const items = process.argv[2] ?? 'null';
const schema = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'xs', type: { type: 'array', items } }] });

/** The zig-zag varint of 10^9, padded to 7 bytes: a count of a billion items, and nothing after it. */
function billionItems(): Buffer {
  let n = 2_000_000_000;
  const bytes: number[] = [];
  while (n >= 0x80) { bytes.push((n % 0x80) | 0x80); n = Math.floor(n / 0x80); }
  bytes.push(n);
  while (bytes.length < 7) bytes.push(0);
  return Buffer.from(bytes);
}

const value = billionItems();
const out: Record<string, string> = {};
for (const mode of ['PERMISSIVE', 'DROPMALFORMED', 'FAILFAST'] as const) {
  const f = compileValue(bind(fromAvro(col('b'), schema, { mode }).expr, parseSchemaDDL('b BINARY')));
  try {
    const v = f({ b: value });
    out[mode] = v === MALFORMED ? 'dropped' : JSON.stringify(v);
  } catch (e) {
    out[mode] = `${(e as Error).name}: ${(e as Error).message}`;
  }
}
process.stdout.write(`${JSON.stringify({ bytes: value.length, ...out })}\n`);
