// The rate source: `timestamp` and `value` rows at rowsPerSecond, after a linear ramp-up over
// rampUpTime seconds, computed exactly as Spark's RateStreamProvider. Offsets are whole seconds
// since the query first started (recorded in the checkpoint), so a replay yields the same rows.
import type { Row } from '../../actors/messages.js';
import { AnalysisError } from '../../errors.js';
import { parseDuration } from '../../expr/interval.js';
import { LONG, TIMESTAMP, fieldOf, structOf } from '../../expr/types.js';
import type { Offset, SourceContext, SourceOptions, StreamSource } from '../contract.js';
import { numberOption, registerSource, stringOption } from '../contract.js';

const SCHEMA = structOf([fieldOf('timestamp', TIMESTAMP, false), fieldOf('value', LONG, false)]);

/** Rows produced in the first `seconds` seconds: a quadratic ramp, then rowsPerSecond per second. */
export function valueAtSecond(seconds: number, rowsPerSecond: number, rampUpSeconds: number): number {
  const delta = rowsPerSecond / (rampUpSeconds + 1);
  if (seconds <= rampUpSeconds) return Math.floor((delta * seconds * (seconds + 1)) / 2);
  const atRampEnd = Math.floor((delta * rampUpSeconds * (rampUpSeconds + 1)) / 2);
  return atRampEnd + (seconds - rampUpSeconds) * rowsPerSecond;
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

  async latestOffset(): Promise<Offset> {
    return Math.max(0, Math.floor((this.ctx!.clock.now() - this.startMs) / 1000));
  }

  *read(start: Offset, end: Offset): Iterable<Row[]> {
    const s = start as number;
    const e = end as number;
    const first = valueAtSecond(s, this.rowsPerSecond, this.rampUpSeconds);
    const last = valueAtSecond(e, this.rowsPerSecond, this.rampUpSeconds);
    if (last <= first) return;
    const startMs = this.startMs + s * 1000;
    const msPerValue = ((e - s) * 1000) / (last - first);
    const chunk = 4096;
    for (let v = first; v < last; v += chunk) {
      const rows: Row[] = [];
      for (let x = v; x < Math.min(last, v + chunk); x++) {
        rows.push({ timestamp: new Date(startMs + Math.round((x - first) * msPerValue)), value: x });
      }
      yield rows;
    }
  }

  async commit(): Promise<void> {}
  async close(): Promise<void> {}
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
  schema: (opts) => { settings(opts); return SCHEMA; },
  create: (opts) => {
    const s = settings(opts);
    return new RateSource(s.rowsPerSecond, s.rampUpSeconds);
  },
});
