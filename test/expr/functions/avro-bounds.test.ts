import { spawnSync } from 'node:child_process';
import avro from 'avsc';
import fc from 'fast-check';
import { col, fromAvro } from '../../../src/index.js';
import { MalformedRecordError } from '../../../src/errors.js';
import { avroBoundsProblem } from '../../../src/expr/functions/avro-bounds.js';
import { bind } from '../../../src/expr/analyze.js';
import { compileValue } from '../../../src/expr/codegen.js';
import { parseSchemaDDL } from '../../../src/expr/parser.js';
import { evaluateTree } from './support.js';

const schemaText = JSON.stringify({
  type: 'record', name: 'Order', fields: [
    { name: 'id', type: 'long' },
    { name: 'note', type: ['null', 'string'] },
    { name: 'lines', type: { type: 'array', items: { type: 'record', name: 'Line', fields: [{ name: 'sku', type: 'string' }, { name: 'qty', type: 'int' }] } } },
    { name: 'flags', type: { type: 'array', items: 'null' } },
    { name: 'attrs', type: { type: 'map', values: 'double' } },
    { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'] } },
    { name: 'hash', type: { type: 'fixed', name: 'H', size: 4 } },
  ],
});
const type = avro.Type.forSchema(JSON.parse(schemaText) as avro.Schema, { wrapUnions: true });
const compiled = (mode: 'PERMISSIVE' | 'FAILFAST') => compileValue(bind(fromAvro(col('b'), schemaText, { mode }).expr, parseSchemaDDL('b BINARY')));
const permissive = compiled('PERMISSIVE');
const failfast = compiled('FAILFAST');
const decode = (b: Buffer): unknown => permissive({ b });

/** Valid encodings of random orders (avsc's own random values of the schema). */
const validBuffer = fc.integer({ min: 1, max: 2 ** 31 - 1 }).map((seed) => {
  let s = seed;
  const random = (): number => { s = (s * 48271) % 2147483647; return s / 2147483647; };
  const saved = Math.random;
  Math.random = random;
  try {
    return type.toBuffer(type.random());
  } finally {
    Math.random = saved;
  }
});

describe('fromAvro on values that do not fit their bytes', () => {
  it('treat a value announcing a billion items as malformed in every mode, in a process with a 64 MB heap', () => {
    const reasons: Record<string, string> = {
      null: 'array items exceed the maximum of 10000000 per value (option maxItems)', // nulls take no bytes: only the maximum bounds them
      int: 'array announces 1000000000 items but only 2 bytes remain',
    };
    for (const [items, reason] of Object.entries(reasons)) {
      const run = spawnSync(process.execPath, ['--max-old-space-size=64', '--import', 'tsx', 'test/support/avro-poison-child.ts', items], {
        cwd: process.cwd(), encoding: 'utf8', timeout: 60_000,
      });
      expect({ status: run.status, signal: run.signal, stderr: run.status === 0 ? '' : run.stderr.slice(-400) }).toEqual({ status: 0, signal: null, stderr: '' });
      const out = JSON.parse(run.stdout) as Record<string, unknown>;
      expect(out).toEqual({
        bytes: 7, PERMISSIVE: 'null', DROPMALFORMED: 'dropped',
        FAILFAST: expect.stringContaining(`MalformedRecordError: Malformed records are detected in record parsing (not valid Avro for the schema: ${reason})`),
      });
    }
  });

  it('decode every valid value as avsc does', () => {
    fc.assert(fc.property(validBuffer, (buf) => {
      expect(avroBoundsProblem(type, buf)).toBeNull();
      expect(decode(buf)).not.toBeNull();
    }), { numRuns: 500 });
  });

  it('give null, never a crash, for thousands of random buffers', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), (bytes) => {
      const buf = Buffer.from(bytes);
      const v = decode(buf);
      // Whatever the bytes, the result is null or a whole value, and agrees with the bounds check.
      expect(v === null || typeof v === 'object').toBe(true);
      if (avroBoundsProblem(type, buf) !== null) expect(v).toBeNull();
    }), { numRuns: 3000 });
  });

  it('treat every truncation of a valid value as malformed, and FAILFAST names the reason', () => {
    fc.assert(fc.property(validBuffer, fc.nat(), (buf, cut) => {
      const truncated = buf.subarray(0, cut % buf.length);
      expect(decode(truncated)).toBeNull();
      expect(() => failfast({ b: truncated })).toThrow(MalformedRecordError);
    }), { numRuns: 2000 });
  });

  it('bound items of zero bytes by option maxItems', () => {
    const nulls = JSON.stringify({ type: 'array', items: 'null' });
    const value = Buffer.from([0x14, 0x00]); // ten nulls
    expect(evaluateTree(fromAvro(col('b'), nulls, { mode: 'PERMISSIVE' }).expr, { b: value }, 'b BINARY')).toEqual(new Array(10).fill(null));
    expect(evaluateTree(fromAvro(col('b'), nulls, { mode: 'PERMISSIVE', maxItems: 9 }).expr, { b: value }, 'b BINARY')).toBeNull();
    expect(() => evaluateTree(fromAvro(col('b'), nulls, { mode: 'FAILFAST', maxItems: 9 }).expr, { b: value }, 'b BINARY'))
      .toThrow(/array items exceed the maximum of 9 per value \(option maxItems\)/);
  });
});
