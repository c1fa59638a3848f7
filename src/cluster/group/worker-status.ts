// What one worker of a cluster query can tell about itself and the query (ClusterWorker.status()):
// the units it owns, the rows its tasks read and wrote, each source partition's lag behind the
// query's last committed epoch, the epochs planned and committed, its rebalances, refused commits
// and failing steps. `spate run` turns it into /metrics, /readyz and its stall exit; an
// application may read it too. The counters live here; worker.ts feeds them as its tasks run.

/** One source partition of the query, as a worker sees it. */
export interface SourcePartitionStatus {
  /** The source topic. */
  readonly topic: string;
  /** The partition's number in the topic. */
  readonly partition: number;
  /** Whether this worker owns the partition (runs its stage-one tasks). Each partition has one owner. */
  readonly owned: boolean;
  /** Where the query's last committed epoch ended in it (null before the first commit). */
  readonly committedOffset: number | null;
  /** The partition's latest offset, as the broker answered now. */
  readonly latestOffset: number;
  /** Records in the partition after what the query committed (its lag). */
  readonly lagRecords: number;
  /** Records this worker's stage-one tasks read from it since the worker started. */
  readonly rowsRead: number;
}

/** One key group this worker owns (its stage-two task). */
export interface KeyGroupStatus {
  /** The key group's number (0 to spate.sql.shuffle.partitions - 1). */
  readonly group: number;
  /** The last epoch its task committed here (-1: none yet). */
  readonly epoch: number;
  /** Rows that reached its task (from stage one) in committed epochs, since the worker started. */
  readonly rowsIn: number;
  /** Rows its task emitted in committed epochs, since the worker started. */
  readonly rowsOut: number;
}

/** A read-only snapshot of one worker of a cluster query. */
export interface ClusterWorkerStatus {
  /** The query's name (queryName), else its checkpoint prefix. */
  readonly query: string;
  /** The worker's name among the query's workers. */
  readonly workerId: string;
  /** Which of its assignments it works on: 1 after its first group join, one more per rebalance (-1 before the first). */
  readonly generation: number;
  /** Whether it holds the coordinator lease (plans and commits the query's epochs). */
  readonly coordinator: boolean;
  /** The query's last planned epoch (-1: none). */
  readonly plannedEpoch: number;
  /** The query's last committed epoch (-1: none). */
  readonly committedEpoch: number;
  /** Every source partition of the query; `owned` marks this worker's. */
  readonly sourcePartitions: readonly SourcePartitionStatus[];
  /** The key groups this worker owns, by number. */
  readonly keyGroups: readonly KeyGroupStatus[];
  /** Rebalances this worker went through (its group joins). */
  readonly rebalances: number;
  /** How long the last rebalance took: its join, as kafkajs timed it, in ms. */
  readonly lastRebalanceMs: number;
  /** State commits its tasks had refused (it had lost the unit). */
  readonly refusedCommits: number;
  /** Sink records its tasks had refused (the unit moved between the state commit and the sink record). */
  readonly refusedSinkRecords: number;
  /** Steps that failed in a row (a coordinator or task step is retried while Kafka or Redis is away). */
  readonly failingSteps: number;
  /** The last step failure, `<loop>: <message>` (null: none yet). */
  readonly lastFailure: string | null;
  /** The last epoch it committed as coordinator: ms from its plan to its commit log. */
  readonly lastEpochMs: number;
  /** The last epoch it committed as coordinator: ms of the commit step. */
  readonly lastCommitStepMs: number;
}

/** The running counters of one worker, fed by its tasks. */
export class WorkerCounters {
  private readonly read = new Map<string, number>();
  private readonly keyed = new Map<number, { rowsIn: number; rowsOut: number }>();
  private readonly failing = new Map<string, number>();
  lastFailure: string | null = null;

  /** A stage-one task read `rows` records of a source partition. */
  stageOne(topic: string, partition: number, rows: number): void {
    const k = `${topic}/${partition}`;
    this.read.set(k, (this.read.get(k) ?? 0) + rows);
  }

  /** A key group's task committed an epoch with these rows in and out. */
  stageTwo(group: number, rowsIn: number, rowsOut: number): void {
    const c = this.keyed.get(group) ?? { rowsIn: 0, rowsOut: 0 };
    this.keyed.set(group, { rowsIn: c.rowsIn + rowsIn, rowsOut: c.rowsOut + rowsOut });
  }

  rowsRead(topic: string, partition: number): number {
    return this.read.get(`${topic}/${partition}`) ?? 0;
  }

  rowsOf(group: number): { rowsIn: number; rowsOut: number } {
    return this.keyed.get(group) ?? { rowsIn: 0, rowsOut: 0 };
  }

  /** A step of loop `loop` ended: failed with `message`, or not (null). */
  stepEnded(loop: string, message: string | null): void {
    if (message === null) {
      this.failing.set(loop, 0);
      return;
    }
    this.failing.set(loop, (this.failing.get(loop) ?? 0) + 1);
    this.lastFailure = `${loop}: ${message}`;
  }

  /** The longest run of failed steps of any loop, now. */
  get failingSteps(): number {
    return Math.max(0, ...this.failing.values());
  }
}
