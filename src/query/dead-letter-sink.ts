// Writing an epoch's dead letters (actors/dead-letters.ts) to the query's dead-letter sink, as
// rows of one fixed schema whatever operator dropped them: the operator, why, the watermark it
// was judged by, the batch, and the dropped row itself as JSON (`value`, so a Kafka sink takes it
// as is). The sink gets the epoch id like the query's own sink, so a re-run epoch is skipped by
// a sink that is idempotent by epoch (file, Kafka transactional, memory): exactly-once.
import type { DeadLetter } from '../actors/dead-letters.js';
import type { Row } from '../data/row.js';
import type { StreamSink } from '../connectors/contract.js';
import { LONG, STRING, TIMESTAMP, fieldOf, structOf } from '../expr/types.js';

export const DEAD_LETTER_SCHEMA = structOf([
  fieldOf('operator', STRING, false),
  fieldOf('reason', STRING, false),
  fieldOf('watermark', TIMESTAMP, false),
  fieldOf('batchId', LONG, false),
  fieldOf('value', STRING, false),
]);

/** Writes `letters` as epoch `epoch` of `sink`; resolves to the rows written (0 when it had them already). */
export async function writeDeadLetters(sink: StreamSink, epoch: number, letters: readonly DeadLetter[]): Promise<number> {
  if (letters.length === 0) return 0;
  const writer = await sink.beginEpoch(epoch);
  if (!writer) return 0;
  await writer.write(letters.map((l) => deadLetterRow(epoch, l)));
  await writer.commit();
  return letters.length;
}

export function deadLetterRow(epoch: number, l: DeadLetter): Row {
  return { operator: l.operator, reason: l.reason, watermark: new Date(l.watermarkMs), batchId: epoch, value: JSON.stringify(l.row, jsonValue) };
}

/** Binary as base64 and big integers as digits, which JSON.stringify cannot write. */
function jsonValue(this: unknown, key: string, v: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  if (Buffer.isBuffer(raw) || raw instanceof Uint8Array) return Buffer.from(raw).toString('base64');
  return typeof v === 'bigint' ? v.toString() : v;
}
