// Every benchmark scenario, in the order `npm run bench` runs them.
import type { Scenario } from '../harness.js';
import { kafkaPipeline } from './kafka-pipeline.js';
import { coresW, coresWMemory, coresYahoo, coresYahooMemory } from './many-cores.js';
import { checkpointLocal, checkpointMemory, checkpointRedis, checkpointRedisAsync } from './checkpoint.js';
import { continuousLatency } from './continuous-latency.js';
import { statelessChain } from './stateless-chain.js';
import { streamJoin } from './stream-join.js';
import { tradesWindow } from './trades-window.js';
import { windowedSum, windowedSumLocal, windowedSumRedis } from './windowed-sum.js';
import { wordCount } from './word-count.js';
import { yahoo } from './yahoo.js';

export const scenarios: readonly Scenario[] = [
  wordCount, statelessChain, windowedSum, windowedSumLocal, windowedSumRedis, yahoo, tradesWindow, streamJoin, kafkaPipeline,
  checkpointMemory, checkpointLocal, checkpointRedis, checkpointRedisAsync, continuousLatency,
  coresW, coresYahoo, coresWMemory, coresYahooMemory,
];
