// Tests are TypeScript ESM sources transformed by swc to CommonJS for jest; `.js` import
// suffixes (required by NodeNext resolution) are mapped back to the .ts files.
/** @type {import('jest').Config} */
module.exports = {
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
  globalSetup: '<rootDir>/test/support/global-setup.cjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.cjs',
  testTimeout: 60000,
};
