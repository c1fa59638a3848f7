// Every benchmark scenario, in the order `npm run bench` runs them.
import type { Scenario } from '../harness.js';
import { checkpointLocal, checkpointMemory, checkpointRedis, checkpointRedisAsync } from './checkpoint.js';
import { statelessChain } from './stateless-chain.js';
import { wordCount } from './word-count.js';

export const scenarios: readonly Scenario[] = [wordCount, statelessChain, checkpointMemory, checkpointLocal, checkpointRedis, checkpointRedisAsync];
