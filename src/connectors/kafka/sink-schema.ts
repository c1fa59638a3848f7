// What the Kafka sink writes from a row: the columns key, value, topic, partition and headers,
// checked at start() with Spark's messages, compiled into a row → message function.
import type { Message } from 'kafkajs';
import type { Row } from '../../data/row.js';
import { AnalysisError } from '../../errors.js';
import type { StructType } from '../../expr/types.js';
import { typeToString } from '../../expr/types.js';

export interface TopicMessage {
  readonly topic: string;
  readonly message: Message;
}

export type ToMessage = (row: Row) => TopicMessage;

const HEADERS_TYPE = 'array<struct<key:string,value:binary>>';

export function messageWriter(schema: StructType, topicOption: string | undefined): ToMessage {
  const field = (name: string) => schema.fields.find((f) => f.name === name);
  const value = field('value');
  if (!value) throw new AnalysisError("Required attribute 'value' not found: select a 'value' column (string or binary), e.g. toJson(struct('*')).alias('value')");
  if (value.type.kind !== 'string' && value.type.kind !== 'binary') throw new AnalysisError(`value attribute type must be a string or binary, not ${typeToString(value.type)}`);
  const key = field('key');
  if (key && key.type.kind !== 'string' && key.type.kind !== 'binary' && key.type.kind !== 'null') {
    throw new AnalysisError(`key attribute type must be a string or binary, not ${typeToString(key.type)}`);
  }
  const topic = field('topic');
  if (topicOption === undefined && !topic) {
    throw new AnalysisError("topic option required when no 'topic' attribute is present. Use the topic option for setting a topic.");
  }
  if (topicOption === undefined && topic && topic.type.kind !== 'string') throw new AnalysisError(`topic attribute type must be a string, not ${typeToString(topic.type)}`);
  const partition = field('partition');
  if (partition && partition.type.kind !== 'integer' && partition.type.kind !== 'null') {
    throw new AnalysisError(`partition attribute type must be an int, not ${typeToString(partition.type)}`);
  }
  const headers = field('headers');
  if (headers && typeToString(headers.type) !== HEADERS_TYPE && headers.type.kind !== 'null') {
    const t = headers.type;
    const ok = t.kind === 'array' && t.element.kind === 'struct' && t.element.fields.length === 2 &&
      t.element.fields[0]!.name === 'key' && t.element.fields[0]!.type.kind === 'string' &&
      t.element.fields[1]!.name === 'value' && (t.element.fields[1]!.type.kind === 'binary' || t.element.fields[1]!.type.kind === 'string');
    if (!ok) throw new AnalysisError(`headers attribute type must be ${HEADERS_TYPE}, not ${typeToString(t)}`);
  }
  const hasKey = key !== undefined;
  const hasPartition = partition !== undefined;
  const hasHeaders = headers !== undefined;
  return (row) => {
    const t = topicOption ?? (row['topic'] as string | null);
    if (t === null || t === undefined) {
      throw new AnalysisError('a row has a null topic: every row needs a topic, or set the topic option');
    }
    const message: Message = { value: row['value'] as Buffer | string | null };
    if (hasKey) message.key = row['key'] as Buffer | string | null;
    if (hasPartition && row['partition'] != null) message.partition = row['partition'] as number;
    if (hasHeaders && row['headers'] != null) {
      const h: Record<string, Buffer | string | (Buffer | string)[]> = {};
      for (const e of row['headers'] as { key: string; value: Buffer | string | null }[]) {
        if (e.value === null) continue;
        const prev = h[e.key];
        h[e.key] = prev === undefined ? e.value : Array.isArray(prev) ? [...prev, e.value] : [prev, e.value];
      }
      message.headers = h;
    }
    return { topic: t, message };
  };
}

/** Groups messages by topic, for one produce request. */
export function byTopic(items: readonly TopicMessage[]): { topic: string; messages: Message[] }[] {
  const groups = new Map<string, Message[]>();
  for (const { topic, message } of items) {
    let list = groups.get(topic);
    if (!list) groups.set(topic, (list = []));
    list.push(message);
  }
  return [...groups].map(([topic, messages]) => ({ topic, messages }));
}
