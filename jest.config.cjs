// Tests are TypeScript ESM sources transformed by swc to CommonJS for jest; `.js` import
// suffixes (required by NodeNext resolution) are mapped back to the .ts files.
//
// Projects: every test runs once as written (one thread, master 'local'); the end-to-end
// families run again with every session on worker threads, local[2] and (a smaller set, to keep
// CI time reasonable) local[4], through the SPATE_MASTER variable that a session without a
// master reads (test/support/master-*.cjs). The same tests, the same expected results.
const base = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The conformance suite needs Apache Spark: it runs with its own config (`npm run test:spark`).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/conformance/'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'commonjs' },
    }],
  },
  moduleNameMapper: { '^spate$': '<rootDir>/src/index.ts', '^spate/testing$': '<rootDir>/src/testing/index.ts', '^(\\.{1,2}/.*)\\.js$': '$1' },
};

/** The families of issue 12, each under local[2]. */
const onTwoThreads = [
  'query/word-count', 'query/word-count.property', 'query/aggregation-properties',
  'operators/window-aggregate', 'operators/aggregate-watermark', 'operators/session-window', 'operators/dedup',
  'operators/flat-map-groups-with-state', 'operators/aggregate-functions', 'operators/stateless',
  'operators/join/stream-static-join', 'operators/join/stream-stream-join', 'operators/join/ad-impressions',
  'connectors/file/file-source', 'connectors/file/file-sink', 'connectors/kafka/kafka-source', 'connectors/kafka/kafka-sink',
  'connectors/console-and-foreach', 'examples/design-trades', 'state/checkpoint-queries',
  'query/late-rows', 'query/watermark-options', 'connectors/kafka/kafka-watermark', 'operators/sort-limit',
];
/** Under local[4]: one file per family. */
const onFourThreads = [
  'query/word-count', 'operators/window-aggregate', 'operators/aggregate-watermark', 'operators/session-window', 'operators/dedup',
  'operators/flat-map-groups-with-state', 'operators/join/stream-stream-join', 'operators/join/stream-static-join',
  'connectors/file/file-sink', 'connectors/kafka/kafka-sink',
];
const files = (names) => names.map((n) => `<rootDir>/test/${n}.test.ts`);

/** @type {import('jest').Config} */
module.exports = {
  globalSetup: '<rootDir>/test/support/global-setup.cjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.cjs',
  // A safety net for a hung test, not a measure of speed: CI machines can be loaded many times over.
  testTimeout: 300000,
  projects: [
    { ...base, displayName: 'local[1]' },
    { ...base, displayName: 'local[2]', testMatch: files(onTwoThreads), setupFiles: ['<rootDir>/test/support/master-2.cjs'] },
    { ...base, displayName: 'local[4]', testMatch: files(onFourThreads), setupFiles: ['<rootDir>/test/support/master-4.cjs'] },
  ],
};
