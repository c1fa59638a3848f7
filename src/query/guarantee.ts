// The end-to-end guarantee of a query, stated at start(): what a failure and a restart can do to
// its output. It follows from three things: whether every source can re-read an epoch
// (replayable), whether the checkpoint survives the process (a checkpointLocation), and what the
// sink does with an epoch written twice.
import type { DeliveryGuarantee } from '../connectors/contract.js';

/**
 * What a failure and a restart can do to a query's output ({@link StreamingQuery.guarantee}),
 * decided at start() from its sources (can each re-read an epoch?), its checkpoint (does it outlive
 * the process?) and its sink (what does it do with an epoch written twice?); logged when the query
 * starts.
 */
export interface EndToEndGuarantee {
  /** `exactly-once`, `at-least-once` or `none`. */
  readonly level: DeliveryGuarantee;
  /** Why, as "<cause>: <level>; <consequence>". */
  readonly reason: string;
}

export interface GuaranteeInputs {
  readonly sources: readonly { readonly description: string; readonly replayable?: boolean }[];
  readonly checkpointLocation: string | null;
  readonly sink: { readonly description: string; readonly guarantee: DeliveryGuarantee; readonly guaranteeReason?: string };
}

export function endToEndGuarantee({ sources, checkpointLocation, sink }: GuaranteeInputs): EndToEndGuarantee {
  const unreplayable = sources.filter((s) => s.replayable !== true);
  if (unreplayable.length > 0) {
    const which = unreplayable.map((s) => s.description + (s.replayable === undefined ? ' (does not declare itself replayable)' : '')).join(', ');
    return {
      level: 'none',
      reason: `${which} cannot replay an epoch: none; rows read by an epoch that fails before its commit are lost`,
    };
  }
  if (checkpointLocation === null) {
    return {
      level: 'none',
      reason: 'no checkpointLocation: none; the checkpoint lives in this process, so a new process starts over from the sources\' starting offsets',
    };
  }
  return { level: sink.guarantee, reason: sink.guaranteeReason ?? `${sink.description}: ${sink.guarantee}` };
}
