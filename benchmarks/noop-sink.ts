// A sink that only counts rows, so a benchmark measures the query, not the sink.
import { registerSink } from '../src/index.js';
import type { StreamSink } from '../src/index.js';

export const counted = { rows: 0 };

registerSink('noop', {
  options: [],
  create(): StreamSink {
    return {
      description: 'NoopSink',
      supportedModes: ['append', 'update', 'complete'],
      guarantee: 'none',
      needsCheckpointLocation: false,
      supportsContinuous: true,
      async open() {},
      beginEpoch() {
        return { write: (rows) => { counted.rows += rows.length; }, commit: () => undefined };
      },
      async close() {},
    };
  },
});
