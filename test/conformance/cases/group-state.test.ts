// Arbitrary stateful processing: spate's flatMapGroupsWithState against PySpark's
// applyInPandasWithState (group_state.py), with event-time timeouts. A user's state counts their
// clicks and remembers the last one; it times out 10 minutes of event time after the last click,
// when the expired state is emitted and removed. The watermark is 5 minutes.
//   batch 0: u1 10:00, u1 10:02, u2 10:01            → watermark 09:57
//   batch 1: u2 10:06, u3 10:20                      → 10:15: u1 (timeout 10:12) expires in batch 1? no:
//            timeouts fire against the batch's own watermark, so u1 expires in batch 2
//   batch 2: u3 10:21, u1 09:50 (late: dropped)      → 10:16
//   batch 3: u4 10:50                                → 10:45: u2 and u3 expire in the no-data batch after it
import { GroupStateTimeout, types as T } from '../../../src/index.js';
import type { DataFrame, GroupState, Row } from '../../../src/index.js';
import type { SpateSources, StagedStream } from '../support/conformance-case.js';
import { at, conformanceSuite } from '../support/conformance-case.js';

const click = (user: string, hhmm: string) => ({ user, ts: at(hhmm) });
const clicks: StagedStream = {
  schema: 'user STRING, ts TIMESTAMP',
  batches: [
    [click('u1', '10:00'), click('u1', '10:02'), click('u2', '10:01')],
    [click('u2', '10:06'), click('u3', '10:20')],
    [click('u3', '10:21'), click('u1', '09:50')],
    [click('u4', '10:50')],
  ],
};

interface Activity { events: number; last: number }
const TEN_MINUTES_MS = 10 * 60 * 1000;
const output = T.fromDDL('user STRING, events LONG, last LONG, status STRING');

function expiringSessions(user: string, rows: Row[], state: GroupState<Activity>): Row[] {
  if (state.hasTimedOut) {
    const { events, last } = state.get();
    state.remove();
    return [{ user, events, last, status: 'expired' }];
  }
  const s = state.getOption() ?? { events: 0, last: 0 };
  for (const r of rows) s.last = Math.max(s.last, (r['ts'] as Date).getTime());
  s.events += rows.length;
  state.update(s);
  state.setTimeoutTimestamp(s.last + TEN_MINUTES_MS);
  return [{ user, events: s.events, last: s.last, status: 'active' }];
}

function sessions({ stream }: SpateSources, outputMode: 'append' | 'update'): DataFrame {
  return stream('clicks').withWatermark('ts', '5 minutes')
    .groupByKey((r) => r['user'] as string)
    .flatMapGroupsWithState({ outputMode, timeout: GroupStateTimeout.EventTimeTimeout, outputSchema: output }, expiringSessions);
}

conformanceSuite('group-state', [
  {
    name: 'event_time_timeout_append',
    title: 'event-time timeouts fire once the watermark passes them, in append mode',
    streams: { clicks },
    outputMode: 'append',
    query: (s) => sessions(s, 'append'),
  },
  {
    name: 'event_time_timeout_update',
    title: 'event-time timeouts in update mode',
    streams: { clicks },
    outputMode: 'update',
    query: (s) => sessions(s, 'update'),
  },
  {
    name: 'running_count_update',
    title: 'a running count per key without timeouts',
    streams: { clicks },
    outputMode: 'update',
    query: ({ stream }) => stream('clicks').groupByKey((r) => r['user'] as string)
      .flatMapGroupsWithState<{ events: number }, Row>({ outputMode: 'update', outputSchema: T.fromDDL('user STRING, events LONG') }, (user, rows, state) => {
        const events = (state.getOption()?.events ?? 0) + rows.length;
        state.update({ events });
        return [{ user, events }];
      }),
  },
]);
