// The order an EncodableDelta writes its entries in: partition by partition, ascending, and
// within a partition in the order the entries were listed (as takeDelta lists them), worked
// out as one typed array of entry numbers (a counting sort), with no list made per partition.

export interface PartitionOrder {
  /** The partitions with entries, ascending. */
  readonly partitions: number[];
  /** How many entries each has (same order). */
  readonly counts: number[];
  /** Where each one's entries end in `order` (same order); they start counts[i] before. */
  readonly ends: number[];
  /** Entry numbers, partition by partition. */
  readonly order: Int32Array;
}

/** Orders entries by their partition (`partitionOfEntry[i]`, -1 for an entry not written), of `partitions`. */
export function orderByPartition(partitionOfEntry: Int32Array, partitions: number): PartitionOrder {
  const perPartition = new Int32Array(partitions);
  for (let i = 0; i < partitionOfEntry.length; i++) {
    const p = partitionOfEntry[i]!;
    if (p >= 0) perPartition[p]++;
  }
  const withEntries: number[] = [];
  const counts: number[] = [];
  const ends: number[] = [];
  const next = new Int32Array(partitions);
  let total = 0;
  for (let p = 0; p < partitions; p++) {
    if (perPartition[p] === 0) continue;
    withEntries.push(p);
    counts.push(perPartition[p]!);
    next[p] = total;
    total += perPartition[p]!;
    ends.push(total);
  }
  const order = new Int32Array(total);
  for (let i = 0; i < partitionOfEntry.length; i++) {
    const p = partitionOfEntry[i]!;
    if (p >= 0) order[next[p]++] = i;
  }
  return { partitions: withEntries, counts, ends, order };
}
