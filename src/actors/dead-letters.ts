// The one path for rows dropped by the watermark: every operator that drops a late row (and a
// withWatermark step that drops a row dated too far ahead) hands it here, with who dropped it
// and the watermark it was judged by. The engine takes an epoch's dead letters after the sink
// committed the epoch and writes them to the query's dead-letter sink before the epoch's commit
// marker, so they are exactly-once like any output (a re-run epoch drops the same rows).
import type { Row } from './messages.js';

export type DropReason = 'late' | 'maxFutureSkew';

export interface DeadLetter {
  /** The operator that dropped the row: a stateful operator's id, or `withWatermark(<column>)`. */
  readonly operator: string;
  readonly reason: DropReason;
  /** The watermark the row was judged by (ms). */
  readonly watermarkMs: number;
  readonly row: Row;
}

export class DeadLetterBuffer {
  private letters: DeadLetter[] = [];
  /** The query watermark of the epoch running (what a withWatermark step's drops are reported with). */
  epochWatermarkMs = 0;

  /** Starts an epoch: whatever a failed attempt left is dropped. */
  beginEpoch(watermarkMs: number): void {
    this.letters = [];
    this.epochWatermarkMs = watermarkMs;
  }

  add(letter: DeadLetter): void {
    this.letters.push(letter);
  }

  /** The epoch's dead letters, in the order they were dropped; the buffer is left empty. */
  take(): DeadLetter[] {
    const out = this.letters;
    this.letters = [];
    return out;
  }
}
