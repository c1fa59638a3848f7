// spate/testing: a virtual-clock test kit for users' own tests of their queries.
/**
 * `spate/testing`: drive a query step by step on virtual processing time in your own tests
 * ({@link startTest}, {@link TestStream}, {@link TestClock}).
 * @module spate/testing
 */
export { TestClock } from './test-clock.js';
export { TestStream } from './test-stream.js';
export type { AddOptions } from './test-stream.js';
export { QueryTest, startTest } from './query-test.js';
export type { Batch, QueryTestOptions } from './query-test.js';
