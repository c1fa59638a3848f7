// Owns every actor of one run of a query. The first actor failure stops the whole graph (so
// state and output stay consistent) and is reported once; the query then restarts from its
// last committed checkpoint or fails, according to its restart policy.
import type { Actor, ActorParent } from './actor.js';
import { Link } from './link.js';
import type { RestartDecision, RestartPolicy } from './restart-policy.js';
import { decideRestart } from './restart-policy.js';

export class Supervisor implements ActorParent {
  private readonly actors: Actor[] = [];
  private readonly links: Link[] = [];
  /** What else the run holds that stops with the graph (tasks on worker threads). */
  private readonly resources: Array<{ stop(): Promise<void> }> = [];
  private failure: { actor: string; error: unknown } | null = null;
  private readonly failureListeners: Array<(error: unknown, actor: string) => void> = [];

  constructor(readonly policy: RestartPolicy, readonly linkCapacity: number) {}

  add<A extends Actor>(actor: A): A {
    this.actors.push(actor);
    return actor;
  }

  /** Stops `resource` with the graph (after the actors). */
  own<R extends { stop(): Promise<void> }>(resource: R): R {
    this.resources.push(resource);
    return resource;
  }

  /** Links `from` to `to` with a new backpressured link. */
  connect(from: Actor, to: Actor): Link {
    const link = new Link(`${from.name} → ${to.name}`, this.linkCapacity);
    this.links.push(link);
    from.connectOutput(link);
    to.connectInput(link);
    return link;
  }

  get failed(): { actor: string; error: unknown } | null {
    return this.failure;
  }

  onFailure(listener: (error: unknown, actor: string) => void): void {
    if (this.failure) listener(this.failure.error, this.failure.actor);
    else this.failureListeners.push(listener);
  }

  /** Reports a failure from outside the actors (a source's planning, the commit) the same way. */
  fail(error: unknown, where: string): void {
    if (this.failure) return;
    this.failure = { actor: where, error };
    void this.stopAll();
    for (const l of this.failureListeners.splice(0)) l(error, where);
  }

  actorFailed(actor: Actor, error: unknown): void {
    this.fail(error, actor.name);
  }

  /** What to do after the `attempt`-th consecutive failure. */
  decide(attempt: number): RestartDecision {
    return decideRestart(this.policy, attempt);
  }

  /** Rows held by all links right now: the data plane's memory in rows. */
  rowsInFlight(): number {
    return this.links.reduce((n, l) => n + l.rowsInFlight, 0);
  }

  peakRowsInFlight(): number {
    return this.links.reduce((n, l) => n + l.peakRowsInFlight, 0);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.actors.map((a) => a.stop()));
    await Promise.all(this.resources.map((r) => r.stop()));
  }
}
