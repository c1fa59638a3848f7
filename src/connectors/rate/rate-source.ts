// The rate source: `timestamp` and `value` rows at rowsPerSecond, after a linear ramp-up over
// rampUpTime seconds, computed exactly as Spark's RateStreamProvider. Offsets are seconds since
// the query first started (recorded in the checkpoint), so a replay yields the same rows: whole
// seconds in micro-batches, milliseconds under Trigger.Continuous, where a timer-driven reader
// emits each row as it falls due. Row x's timestamp is when it falls due, rows spread evenly
// over each second, so any split into batches or epochs gives the same rows.
import type { Row } from '../../data/row.js';
import { AnalysisError } from '../../errors.js';
import { parseDuration } from '../../expr/interval.js';
import { LONG, TIMESTAMP, fieldOf, structOf } from '../../expr/types.js';
import type { Clock, ContinuousSegment, Offset, SourceContext, SourceOptions, StreamSource } from '../contract.js';
import { numberOption, registerSource, stringOption } from '../contract.js';

// Nullable, as Spark's RateStreamProvider.SCHEMA declares them (printSchema shows it).
const SCHEMA = structOf([fieldOf('timestamp', TIMESTAMP), fieldOf('value', LONG)]);

/** Rows produced in the first `seconds` seconds: a quadratic ramp, then rowsPerSecond per second. */
export function valueAtSecond(seconds: number, rowsPerSecond: number, rampUpSeconds: number): number {
  const delta = rowsPerSecond / (rampUpSeconds + 1);
  if (seconds <= rampUpSeconds) return Math.floor((delta * seconds * (seconds + 1)) / 2);
  const atRampEnd = Math.floor((delta * rampUpSeconds * (rampUpSeconds + 1)) / 2);
  return atRampEnd + (seconds - rampUpSeconds) * rowsPerSecond;
}

/** Rows produced in the first `ms` milliseconds: within a second, evenly. */
export function valueAtMs(ms: number, rowsPerSecond: number, rampUpSeconds: number): number {
  const k = Math.floor(ms / 1000);
  const a = valueAtSecond(k, rowsPerSecond, rampUpSeconds);
  const b = valueAtSecond(k + 1, rowsPerSecond, rampUpSeconds);
  return a + Math.floor(((ms - k * 1000) * (b - a)) / 1000);
}

/** The second in which value `x` falls due, with the values of that second and the next. */
function secondOf(x: number, rowsPerSecond: number, rampUpSeconds: number): { k: number; a: number; b: number } {
  const rampEnd = valueAtSecond(rampUpSeconds, rowsPerSecond, rampUpSeconds);
  let k = x >= rampEnd ? rampUpSeconds + Math.floor((x - rampEnd) / rowsPerSecond) : 0;
  while (valueAtSecond(k + 1, rowsPerSecond, rampUpSeconds) <= x) k++;
  return { k, a: valueAtSecond(k, rowsPerSecond, rampUpSeconds), b: valueAtSecond(k + 1, rowsPerSecond, rampUpSeconds) };
}

/** Milliseconds after the start at which value `x` falls due: its timestamp. */
export function dueMs(x: number, rowsPerSecond: number, rampUpSeconds: number): number {
  const { k, a, b } = secondOf(x, rowsPerSecond, rampUpSeconds);
  return k * 1000 + Math.round(((x - a) * 1000) / (b - a));
}

/** The first whole millisecond at which value `x` is counted by valueAtMs. */
export function countedAtMs(x: number, rowsPerSecond: number, rampUpSeconds: number): number {
  const { k, a, b } = secondOf(x, rowsPerSecond, rampUpSeconds);
  return k * 1000 + Math.ceil(((x - a + 1) * 1000) / (b - a));
}

const CHUNK = 4096;

/** Waits `ms` on the query's clock (the system's when it has no timers), or until `signal` aborts. */
function sleepOn(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  const set = clock.setTimeout?.bind(clock) ?? ((fn: () => void, t: number): unknown => setTimeout(fn, t));
  const clear = clock.clearTimeout?.bind(clock) ?? ((id: unknown): void => clearTimeout(id as NodeJS.Timeout));
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clear(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = set(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

class RateSource implements StreamSource {
  readonly schema = SCHEMA;
  readonly replayable = true;
  readonly supportsContinuous = true;
  private startMs = 0;
  private ctx: SourceContext | null = null;

  constructor(private readonly rowsPerSecond: number, private readonly rampUpSeconds: number) {}

  get description(): string {
    return `RateStreamV2[rowsPerSecond=${this.rowsPerSecond}, rampUpTimeSeconds=${this.rampUpSeconds}]`;
  }

  async open(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    const path = `${ctx.metadataPath}/start`;
    const raw = await ctx.checkpoint.read(path);
    if (raw) {
      this.startMs = Number(raw.toString('utf8'));
    } else {
      this.startMs = ctx.clock.now();
      await ctx.checkpoint.write(path, String(this.startMs));
    }
  }

  async initialOffset(): Promise<Offset> {
    return 0;
  }

  async latestOffset(start: Offset): Promise<Offset> {
    // After a continuous run the start may lie inside a second: never plan backwards.
    return Math.max((start as number | null) ?? 0, this.elapsedSeconds());
  }

  reportLatestOffset(): Offset {
    return this.elapsedSeconds();
  }

  read(start: Offset, end: Offset): Iterable<Row[]> {
    return this.rowsBetween(this.valueAt(start), this.valueAt(end));
  }

  /** Emits each row when it falls due, on the query's clock, until `signal` aborts. */
  async *readContinuous(start: Offset, signal: AbortSignal): AsyncIterable<ContinuousSegment> {
    const clock = this.ctx!.clock;
    let next = this.valueAt(start);
    while (!signal.aborted) {
      const elapsedMs = Math.floor(clock.now() - this.startMs);
      const upTo = valueAtMs(elapsedMs, this.rowsPerSecond, this.rampUpSeconds);
      if (upTo > next) {
        yield { rows: this.rowsBetween(next, upTo), end: elapsedMs / 1000, caughtUp: true };
        next = upTo;
        continue;
      }
      const wait = countedAtMs(next, this.rowsPerSecond, this.rampUpSeconds) - elapsedMs;
      await sleepOn(clock, Math.max(1, wait), signal);
    }
  }

  private elapsedSeconds(): number {
    return Math.max(0, Math.floor((this.ctx!.clock.now() - this.startMs) / 1000));
  }

  /** The first value after offset `o` (seconds, milliseconds precise). */
  private valueAt(o: Offset): number {
    return valueAtMs(Math.round(((o as number | null) ?? 0) * 1000), this.rowsPerSecond, this.rampUpSeconds);
  }

  /** Contiguous value ranges, each read on its own (master('local[N]')). */
  planSplits(start: Offset, end: Offset, maxSplits: number): RateSplit[] {
    const first = this.valueAt(start);
    const last = this.valueAt(end);
    const n = Math.max(1, Math.min(maxSplits, Math.ceil((last - first) / CHUNK)));
    const size = Math.ceil((last - first) / n);
    const splits: RateSplit[] = [];
    for (let v = first; v < last; v += size) splits.push({ startMs: this.startMs, first: v, last: Math.min(last, v + size) });
    return splits;
  }

  private rowsBetween(first: number, last: number): Iterable<Row[]> {
    return rateRows(this.startMs, first, last, this.rowsPerSecond, this.rampUpSeconds);
  }

  async commit(): Promise<void> {}
  async close(): Promise<void> {}
}

/** Values first (inclusive) to last (exclusive) of a run that started at startMs. */
interface RateSplit {
  readonly startMs: number;
  readonly first: number;
  readonly last: number;
}

function* rateRows(startMs: number, first: number, last: number, rowsPerSecond: number, rampUpSeconds: number): Iterable<Row[]> {
  for (let v = first; v < last; v += CHUNK) {
    const rows: Row[] = [];
    for (let x = v; x < Math.min(last, v + CHUNK); x++) rows.push({ timestamp: new Date(startMs + dueMs(x, rowsPerSecond, rampUpSeconds)), value: x });
    yield rows;
  }
}

function settings(opts: SourceOptions): { rowsPerSecond: number; rampUpSeconds: number } {
  if (opts.userSchema) throw new AnalysisError('The rate source does not support a user-specified schema: its rows are timestamp and value');
  const rowsPerSecond = numberOption(opts.options, 'rowsPerSecond', 1, (n) => Number.isInteger(n) && n > 0);
  const ramp = stringOption(opts.options, 'rampUpTime');
  const rampUpSeconds = ramp === undefined ? 0 : /^\d+$/.test(ramp) ? Number(ramp) : parseDuration(ramp, 'rampUpTime') / 1000;
  if (!Number.isInteger(rampUpSeconds) || rampUpSeconds < 0) throw new AnalysisError(`rampUpTime must be a whole number of seconds >= 0, got '${ramp}'`);
  numberOption(opts.options, 'numPartitions', 1, (n) => Number.isInteger(n) && n > 0);
  return { rowsPerSecond, rampUpSeconds };
}

registerSource('rate', {
  options: ['rowsPerSecond', 'rampUpTime', 'numPartitions'],
  schema: (opts) => { settings(opts); return SCHEMA; },
  create: (opts) => {
    const s = settings(opts);
    return new RateSource(s.rowsPerSecond, s.rampUpSeconds);
  },
  splitReader: (opts) => {
    const s = settings(opts);
    return {
      read: (split) => {
        const r = split as RateSplit;
        return rateRows(r.startMs, r.first, r.last, s.rowsPerSecond, s.rampUpSeconds);
      },
      close: async () => undefined,
    };
  },
});
