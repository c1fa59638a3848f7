// from_avro and to_avro (Spark's spark-avro functions) over avsc: from_avro decodes binary Avro
// with the schema given as .avsc JSON text, following the parse mode (FAILFAST by default, as in
// Spark; PERMISSIVE gives null; DROPMALFORMED drops the row and counts it); to_avro encodes a
// value with the schema given, or with the one Spark derives from the column's type. A value
// whose counts or lengths do not fit its bytes (or exceed option maxItems) is malformed before
// avsc sees it (avro-bounds.ts).
import { AnalysisError, MalformedRecordError } from '../../errors.js';
import type { BoundExpr } from '../bound.js';
import { MALFORMED } from '../bound.js';
import { BINARY, typeToString } from '../types.js';
import type { AvroLimits } from './avro-bounds.js';
import { DEFAULT_AVRO_LIMITS, avroBoundsProblem } from './avro-bounds.js';
import { avroMapping, avroSchemaOf, parseAvroSchema } from './avro-schema.js';
import { coerce, literalOf, strictFn } from './define.js';
import { registerScalar } from './registry.js';

type Mode = 'PERMISSIVE' | 'DROPMALFORMED' | 'FAILFAST';

function schemaText(fn: string, arg: BoundExpr | undefined, options: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const given = options?.['jsonFormatSchema'];
  if (typeof given === 'string') return given;
  if (arg === undefined) return undefined;
  const lit = literalOf(arg);
  if (!lit || typeof lit.value !== 'string') throw new AnalysisError(`${fn}() schema must be literal .avsc JSON text, e.g. readFileSync('user.avsc', 'utf8')`);
  return lit.value;
}

/** An option of from_avro: from the Column API's options, or the SQL form's third argument (a map). */
function optionOf(name: string, options: Readonly<Record<string, unknown>> | undefined, arg: BoundExpr | undefined): unknown {
  let raw = options?.[name];
  const lit = literalOf(arg);
  if (raw === undefined && lit && lit.value && typeof lit.value === 'object') raw = (lit.value as Record<string, unknown>)[name];
  if (raw === undefined && arg?.k === 'call' && arg.fn.name === 'map') {
    for (let i = 0; i + 1 < arg.args.length; i += 2) {
      if (String(literalOf(arg.args[i])?.value).toLowerCase() === name.toLowerCase()) raw = literalOf(arg.args[i + 1])?.value;
    }
  }
  return raw;
}

function limitsOf(options: Readonly<Record<string, unknown>> | undefined, arg: BoundExpr | undefined): AvroLimits {
  const raw = optionOf('maxItems', options, arg);
  if (raw === undefined) return DEFAULT_AVRO_LIMITS;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new AnalysisError(`from_avro() option maxItems must be a whole number of items, not '${String(raw)}'`);
  return { maxItems: n };
}

function modeOf(options: Readonly<Record<string, unknown>> | undefined, arg: BoundExpr | undefined): Mode {
  const raw = optionOf('mode', options, arg);
  const m = String(raw ?? 'FAILFAST').toUpperCase();
  if (m !== 'PERMISSIVE' && m !== 'DROPMALFORMED' && m !== 'FAILFAST') {
    throw new AnalysisError(`from_avro() mode must be PERMISSIVE, DROPMALFORMED or FAILFAST, not '${String(raw)}'`);
  }
  return m;
}

registerScalar({
  name: 'from_avro', minArgs: 1, maxArgs: 3,
  bind(args, options) {
    const text = schemaText('from_avro', args[1], options);
    if (text === undefined) throw new AnalysisError('from_avro() needs the Avro schema as .avsc JSON text: fromAvro(col, schemaText)');
    const avroType = parseAvroSchema('from_avro', text);
    const mapping = avroMapping(avroType);
    const mode = modeOf(options, args[2]);
    const limits = limitsOf(options, args[2]);
    const malformed = (why: string): unknown => {
      if (mode === 'PERMISSIVE') return null;
      if (mode === 'DROPMALFORMED') return MALFORMED;
      throw new MalformedRecordError(
        `Malformed records are detected in record parsing (${why}). Current parse Mode: FAILFAST. ` +
        "To process malformed records as null result, try setting the option 'mode' as 'PERMISSIVE'.",
      );
    };
    const impl = (buf: Buffer): unknown => {
      const outOfBounds = avroBoundsProblem(avroType, buf, limits);
      if (outOfBounds !== null) return malformed(`not valid Avro for the schema: ${outOfBounds}`);
      let decoded: unknown;
      try {
        decoded = avroType.fromBuffer(buf);
      } catch (e) {
        return malformed(`not valid Avro for the schema: ${(e as Error).message}`);
      }
      return mapping.fromAvro(decoded);
    };
    const fn = strictFn('from_avro', mapping.type, [coerce('from_avro', args[0]!, 0, 'binary')], impl);
    return mode === 'DROPMALFORMED' ? { ...fn, mayDropRow: true } : fn;
  },
});

registerScalar({
  name: 'to_avro', minArgs: 1, maxArgs: 2,
  bind(args, options) {
    const input = args[0]!;
    const text = schemaText('to_avro', args[1], options);
    // Without a schema, the one Spark derives: record topLevelRecord, nullable fields as [type, "null"].
    const encode = parseAvroSchema('to_avro', text ?? JSON.stringify(avroSchemaOf(input.type, false)));
    const mapping = avroMapping(encode);
    if (mapping.type.kind !== input.type.kind && input.type.kind !== 'null') {
      throw new AnalysisError(`to_avro() cannot write ${typeToString(input.type)} with an Avro schema of type ${typeToString(mapping.type)}`);
    }
    return strictFn('to_avro', BINARY, [], (v: unknown) => {
      try {
        return encode.toBuffer(mapping.toAvro(v));
      } catch (e) {
        throw new MalformedRecordError(`to_avro() cannot encode a value with the Avro schema: ${(e as Error).message}`);
      }
    });
  },
});
