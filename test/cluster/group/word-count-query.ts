// The notes' word count over Kafka, as the cluster tests run it on worker processes and in one
// process: lines in, (word, count) out as Kafka key and value.
import type { Session } from '../../../src/index.js';
import { col, explode, split } from '../../../src/index.js';

export interface WordCountSource {
  readonly brokers: string;
  readonly input: string;
  readonly maxOffsetsPerTrigger: number;
}

export function wordCount(spark: Session, c: WordCountSource) {
  return spark.readStream.format('kafka')
    .option('kafka.bootstrap.servers', c.brokers).option('subscribe', c.input)
    .option('startingOffsets', 'earliest').option('maxOffsetsPerTrigger', c.maxOffsetsPerTrigger).load()
    .selectExpr('CAST(value AS STRING) AS line')
    .select(explode(split(col('line'), ' ')).alias('word'))
    .groupBy('word').count()
    .select(col('word').alias('key'), col('count').cast('string').alias('value'));
}

