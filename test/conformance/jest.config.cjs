// The conformance suite (`npm run test:spark`): the same queries in Apache Spark and in spate.
// One Spark session serves the whole run (support/global-setup.cjs starts it, installing pyspark
// into a cache first when it is missing), so the cases run one after another in one worker.
// The main config's projects share one base (transform, module names); its first project is that
// base under master 'local', which is how the conformance cases run.
const { displayName: _local, ...base } = require('../../jest.config.cjs').projects[0];

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  rootDir: '../..',
  roots: ['<rootDir>/test/conformance'],
  testPathIgnorePatterns: [],
  maxWorkers: 1,
  globalSetup: '<rootDir>/test/conformance/support/global-setup.cjs',
  globalTeardown: '<rootDir>/test/conformance/support/global-teardown.cjs',
  testTimeout: 180000,
};
