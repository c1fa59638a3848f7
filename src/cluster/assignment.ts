// Who owns what: a pure function from units of work (key groups, source splits) and members
// (worker threads today, `spate run` processes later) to an owner per unit, as Kafka Streams'
// assignor is a pure function from members and tasks to an assignment. It balances (owned
// counts differ by at most one), is sticky (a unit keeps its owner unless that owner is gone or
// holds more than its share) and deterministic (members in the order given). Nothing about
// ownership is ever written into state: key groups are the unit of state, so an assignment can
// change between runs, or within one, without rewriting a key.

/**
 * Owner of each of `units` units among `members`. `previous(u)` is the unit's owner in the
 * assignment being replaced, if any; without it units go out as contiguous ranges.
 */
export function assignUnits<M>(units: number, members: readonly M[], previous?: (unit: number) => M | undefined): M[] {
  if (!Number.isInteger(units) || units < 0) throw new RangeError(`units must be a non-negative integer, got ${units}`);
  if (members.length === 0) throw new RangeError('an assignment needs at least one member');
  if (new Set(members).size !== members.length) throw new RangeError('members must be distinct');
  const n = members.length;
  const base = Math.floor(units / n);
  const extra = units % n;
  const index = new Map<M, number>(members.map((m, i) => [m, i]));
  const held: number[][] = members.map(() => []);
  const free: number[] = [];
  for (let u = 0; u < units; u++) {
    const p = previous?.(u);
    const i = p === undefined ? undefined : index.get(p);
    if (i === undefined) free.push(u);
    else held[i]!.push(u);
  }
  if (!previous) {
    // Contiguous ranges: member i gets base units, plus one for the first `extra` members.
    const out = new Array<M>(units);
    let u = 0;
    for (let i = 0; i < n; i++) for (let k = 0; k < base + (i < extra ? 1 : 0); k++) out[u++] = members[i]!;
    return out;
  }
  // The members that held the most keep the `extra` larger shares: the fewest units move.
  const byHeld = members.map((_, i) => i).sort((a, b) => held[b]!.length - held[a]!.length || a - b);
  const quota = new Array<number>(n).fill(base);
  for (let k = 0; k < extra; k++) quota[byHeld[k]!]! += 1;
  const out = new Array<M>(units);
  for (let i = 0; i < n; i++) {
    const keep = held[i]!.slice(0, quota[i]);
    for (const u of keep) out[u] = members[i]!;
    for (const u of held[i]!.slice(quota[i])) free.push(u);
    quota[i]! -= keep.length;
  }
  free.sort((a, b) => a - b);
  let i = 0;
  for (const u of free) {
    while (quota[i] === 0) i++;
    out[u] = members[i]!;
    quota[i]! -= 1;
  }
  return out;
}

/** The units each member owns, ascending. */
export function unitsOf<M>(owners: readonly M[], member: M): number[] {
  const out: number[] = [];
  owners.forEach((m, u) => { if (m === member) out.push(u); });
  return out;
}

/**
 * Key groups over threads: contiguous ranges, or, with a seed (spate.cluster.keyGroupShuffleSeed,
 * a testing knob), the ranges of a seeded shuffle of the key groups: any assignment must give
 * the same results, and this lets a test try many.
 */
export function keyGroupOwners(keyGroups: number, threads: number, seed: number | null): number[] {
  const members = Array.from({ length: threads }, (_, t) => t);
  const ranges = assignUnits(keyGroups, members);
  if (seed === null) return ranges;
  const order = Array.from({ length: keyGroups }, (_, g) => g);
  let x = (seed >>> 0) || 1;
  for (let i = order.length - 1; i > 0; i--) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    const j = x % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const owners = new Array<number>(keyGroups);
  order.forEach((g, i) => { owners[g] = ranges[i]!; });
  return owners;
}
