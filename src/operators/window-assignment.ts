// Event-time window assignment, shared by every windowed operator (as RxJS's merge family shares
// mergeInternals): tumbling and sliding windows as Spark's TimeWindow assigns them (aligned to
// the Unix epoch plus startTime, start inclusive, end exclusive), and session windows (each
// event opens [t, t + gap); sessions of one key merge while they overlap or touch).

/** The shape of a tumbling (slide = window) or sliding window, in milliseconds. */
export interface TimeWindowShape {
  readonly windowMs: number;
  readonly slideMs: number;
  readonly startMs: number;
}

/** How many windows can contain one instant: ceil(window / slide). */
export function windowsPerEvent(w: TimeWindowShape): number {
  return Math.ceil(w.windowMs / w.slideMs);
}

/** The start of the newest window containing `ms`: the instant minus its offset into the slide. */
export function lastWindowStart(ms: number, w: TimeWindowShape): number {
  const rem = (((ms - w.startMs) % w.slideMs) + w.slideMs) % w.slideMs;
  return ms - rem;
}

/** The starts of every window containing `ms`, newest first (Spark's TimeWindowing). */
export function timeWindowStarts(ms: number, w: TimeWindowShape): number[] {
  const last = lastWindowStart(ms, w);
  const starts: number[] = [];
  for (let i = 0; i < windowsPerEvent(w); i++) {
    const start = last - i * w.slideMs;
    if (ms < start + w.windowMs) starts.push(start);
  }
  return starts;
}

/**
 * The same assignment as generated code for a compiled per-row loop: `open` binds `startVar`
 * to each window start containing the instant in `msVar` (a loop labelled `label` when an
 * instant can fall in several windows, a labelled block for tumbling windows); `close` ends it
 * and `skip` leaves the current window. Only numbers of the shape reach the code, never user text.
 */
export function timeWindowLoopCode(w: TimeWindowShape, msVar: string, startVar: string, label: string): { open: string[]; close: string; skip: string } {
  const slide = num(w.slideMs);
  const rem = `(((${msVar} - ${num(w.startMs)}) % ${slide}) + ${slide}) % ${slide}`;
  const n = windowsPerEvent(w);
  if (n === 1 && w.windowMs === w.slideMs) {
    return { open: [`${label}: { const ${startVar} = ${msVar} - ${rem};`], close: '}', skip: `break ${label}` };
  }
  const last = `${startVar}Last`;
  const open = [
    `const ${last} = ${msVar} - ${rem};`,
    `${label}: for (let ${startVar}I = 0; ${startVar}I < ${n}; ${startVar}I++) {`,
    `const ${startVar} = ${last} - ${startVar}I * ${slide};`,
  ];
  // When the slide divides the window every candidate contains the instant (Spark skips the filter too).
  if (w.windowMs % w.slideMs !== 0) open.push(`if (${msVar} >= ${startVar} + ${num(w.windowMs)}) continue ${label};`);
  return { open, close: '}', skip: `continue ${label}` };
}

/** A session's bounds: [start, end). */
export interface SessionBounds {
  start: number;
  end: number;
}

/** The session one event opens, or null when its time or gap is missing or the gap is not positive. */
export function eventSession(ms: number | null, gapMs: number | null): SessionBounds | null {
  if (ms === null || Number.isNaN(ms) || gapMs === null || !(gapMs > 0)) return null;
  return { start: ms, end: ms + gapMs };
}

/** What `coverSession` did to a key's session list. */
export interface SessionCover<S> {
  /** The session that now covers the bounds. */
  readonly session: S;
  /** Its start before the call, or null if it was created. */
  readonly startBefore: number | null;
  /** Sessions merged into it and gone from the list. */
  readonly removed: readonly S[];
}

/**
 * Makes one session of `sessions` (sorted by start, pairwise apart) cover `b`: the sessions `b`
 * touches (they overlap it, or end exactly where it starts or the reverse) merge into the first of them (`absorb(into, from)` folds contents), or a new session
 * from `create` is inserted when it touches none. The list stays sorted and apart.
 */
export function coverSession<S extends SessionBounds>(
  sessions: S[], b: SessionBounds, create: (b: SessionBounds) => S, absorb: (into: S, from: S) => void,
): SessionCover<S> {
  // Sessions starting at or before b.end are [0, hi); of those, the ones ending at or after
  // b.start are a suffix [lo, hi), because sessions that are apart end in the order they start.
  const hi = upperBound(sessions, b.end);
  let lo = hi;
  while (lo > 0 && sessions[lo - 1]!.end >= b.start) lo--;
  if (lo === hi) {
    const session = create({ start: b.start, end: b.end });
    sessions.splice(lo, 0, session);
    return { session, startBefore: null, removed: [] };
  }
  const keep = sessions[lo]!;
  const startBefore = keep.start;
  if (b.start < keep.start) keep.start = b.start;
  if (b.end > keep.end) keep.end = b.end;
  const removed = sessions.splice(lo + 1, hi - lo - 1);
  for (const other of removed) {
    if (other.end > keep.end) keep.end = other.end;
    absorb(keep, other);
  }
  return { session: keep, startBefore, removed };
}

/** The index of the first session starting after `t` (sessions sorted by start). */
function upperBound(sessions: readonly SessionBounds[], t: number): number {
  let lo = 0;
  let hi = sessions.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sessions[mid]!.start <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function num(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`window bounds must be finite numbers, got ${n}`);
  return String(n);
}
