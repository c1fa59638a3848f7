// The Kafka source's options, checked when the stream is defined: exactly one of subscribe,
// subscribePattern and assign; where a new query starts; read limits; data-loss behaviour.
import { AnalysisError } from '../../errors.js';
import { parseDuration } from '../../expr/interval.js';
import type { SourceOptions } from '../contract.js';
import { booleanOption, numberOption, stringOption } from '../contract.js';
import { checkSourceOptions } from './kafka-options.js';

export type Strategy =
  | { readonly kind: 'subscribe'; readonly topics: readonly string[] }
  | { readonly kind: 'subscribePattern'; readonly pattern: RegExp; readonly text: string }
  | { readonly kind: 'assign'; readonly partitions: ReadonlyMap<string, readonly number[]> };

/** earliest, latest, or per partition an offset (-2 earliest, -1 latest). */
export type StartingOffsets = 'earliest' | 'latest' | Readonly<Record<string, Readonly<Record<string, number>>>>;

export interface KafkaSourceSettings {
  readonly strategy: Strategy;
  readonly starting: StartingOffsets;
  readonly ending: StartingOffsets;
  readonly maxOffsetsPerTrigger: number | null;
  /** Offsets per batch while the run reads the backlog it found when it first planned (then maxOffsetsPerTrigger). */
  readonly startingBatchLimit: number | null;
  readonly minOffsetsPerTrigger: number | null;
  readonly maxTriggerDelayMs: number;
  readonly failOnDataLoss: boolean;
  readonly includeHeaders: boolean;
  readonly readCommitted: boolean;
  readonly maxBytesPerPartition: number;
}

const STRATEGIES = ['assign', 'subscribe', 'subscribePattern'];

function strategyOf(o: Readonly<Record<string, string>>): Strategy {
  const given = STRATEGIES.filter((s) => stringOption(o, s) !== undefined);
  if (given.length === 0) {
    throw new AnalysisError(`One of the following options must be specified for Kafka source: ${STRATEGIES.join(', ')}. See the docs for more details.`);
  }
  if (given.length > 1) {
    throw new AnalysisError(`Only one of the following options can be specified for Kafka source: ${STRATEGIES.join(', ')}. See the docs for more details.`);
  }
  const value = stringOption(o, given[0]!)!;
  switch (given[0]) {
    case 'subscribe': {
      const topics = value.split(',').map((t) => t.trim()).filter((t) => t !== '');
      if (!topics.length) throw new AnalysisError(`No topics to subscribe to as specified value for option 'subscribe' is '${value}'`);
      return { kind: 'subscribe', topics };
    }
    case 'subscribePattern': {
      if (value.trim() === '') throw new AnalysisError(`Pattern to subscribe is empty as specified value for option 'subscribePattern' is '${value}'`);
      let pattern: RegExp;
      try {
        pattern = new RegExp(`^(?:${value.trim()})$`);
      } catch (e) {
        throw new AnalysisError(`subscribePattern '${value}' is not a valid regular expression: ${(e as Error).message}`);
      }
      return { kind: 'subscribePattern', pattern, text: value.trim() };
    }
    default: {
      if (!value.trim().startsWith('{')) throw new AnalysisError(`No topicpartitions to assign as specified value for option 'assign' is '${value}'`);
      const parsed = parseJsonOption('assign', value) as Record<string, unknown>;
      const partitions = new Map<string, number[]>();
      for (const [t, ps] of Object.entries(parsed)) {
        if (!Array.isArray(ps) || !ps.every((p) => Number.isInteger(p) && p >= 0)) {
          throw new AnalysisError(`option assign must map topics to partition lists, like {"topicA":[0,1],"topicB":[2,4]}; got ${value}`);
        }
        partitions.set(t, [...(ps as number[])].sort((a, b) => a - b));
      }
      return { kind: 'assign', partitions };
    }
  }
}

function parseJsonOption(name: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (e) {
    throw new AnalysisError(`option ${name} is not valid JSON (${(e as Error).message}): ${value}`);
  }
}

function offsetsOption(o: Readonly<Record<string, string>>, name: string, fallback: 'earliest' | 'latest'): StartingOffsets {
  const raw = stringOption(o, name);
  if (raw === undefined) return fallback;
  const v = raw.trim();
  if (v.toLowerCase() === 'earliest' || v.toLowerCase() === 'latest') return v.toLowerCase() as 'earliest' | 'latest';
  const parsed = parseJsonOption(name, v);
  if (typeof parsed !== 'object' || parsed === null) throw new AnalysisError(`option ${name} must be earliest, latest or JSON like {"topicA":{"0":23,"1":-1}}`);
  for (const [t, parts] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof parts !== 'object' || parts === null || !Object.entries(parts).every(([p, n]) => /^\d+$/.test(p) && Number.isInteger(n) && (n as number) >= -2)) {
      throw new AnalysisError(`option ${name} for topic ${t} must map partitions to offsets (-2 = earliest, -1 = latest), like {"${t}":{"0":23,"1":-1}}`);
    }
  }
  return parsed as Record<string, Record<string, number>>;
}

export function kafkaSourceSettings(opts: SourceOptions, streaming: boolean): KafkaSourceSettings {
  const o = opts.options;
  checkSourceOptions(o);
  if (streaming && stringOption(o, 'endingOffsets') !== undefined) throw new AnalysisError('ending offset not valid in streaming queries');
  const strategy = strategyOf(o);
  const max = stringOption(o, 'maxOffsetsPerTrigger') === undefined ? null : numberOption(o, 'maxOffsetsPerTrigger', 0, (n) => Number.isInteger(n) && n > 0);
  const catchUp = stringOption(o, 'startingBatchLimit') === undefined ? null : numberOption(o, 'startingBatchLimit', 0, (n) => Number.isInteger(n) && n > 0);
  const min = stringOption(o, 'minOffsetsPerTrigger') === undefined ? null : numberOption(o, 'minOffsetsPerTrigger', 0, (n) => Number.isInteger(n) && n > 0);
  if (min !== null && max !== null && min > max) {
    throw new AnalysisError(`The value of minOffsetPerTrigger(${min}) is higher than the maxOffsetsPerTrigger(${max}).`);
  }
  const isolation = (o['kafka.isolation.level'] ?? 'read_uncommitted').toLowerCase();
  if (isolation !== 'read_uncommitted' && isolation !== 'read_committed') {
    throw new AnalysisError(`kafka.isolation.level must be read_uncommitted or read_committed, got '${isolation}'`);
  }
  const starting = offsetsOption(o, 'startingOffsets', streaming ? 'latest' : 'earliest');
  if (!streaming && starting === 'latest') throw new AnalysisError("starting offset can't be latest for batch queries on Kafka");
  const ending = offsetsOption(o, 'endingOffsets', 'latest');
  if (ending === 'earliest') throw new AnalysisError("ending offset can't be earliest for batch queries on Kafka");
  return {
    strategy, starting, ending,
    maxOffsetsPerTrigger: max,
    startingBatchLimit: catchUp,
    minOffsetsPerTrigger: min,
    maxTriggerDelayMs: parseDuration(stringOption(o, 'maxTriggerDelay') ?? '15m', 'maxTriggerDelay'),
    failOnDataLoss: booleanOption(o, 'failOnDataLoss', true),
    includeHeaders: booleanOption(o, 'includeHeaders', false),
    readCommitted: isolation === 'read_committed',
    maxBytesPerPartition: numberOption(o, 'kafka.max.partition.fetch.bytes', 4 << 20, (n) => Number.isInteger(n) && n > 0),
  };
}

export function describeStrategy(s: Strategy): string {
  switch (s.kind) {
    case 'subscribe': return `Subscribe[${s.topics.join(',')}]`;
    case 'subscribePattern': return `SubscribePattern[${s.text}]`;
    case 'assign': return `Assign[${[...s.partitions].flatMap(([t, ps]) => ps.map((p) => `${t}-${p}`)).join(', ')}]`;
  }
}
