// The notes' stream-stream join: ad impressions left-outer-joined with clicks that come within
// an hour, both streams watermarked. An impression nobody clicks is printed with null click
// columns once the watermark passes its time plus one hour. Runs on in-memory streams:
// `npx tsx examples/ad-clicks-join.ts`.
import { MemoryStream, Session, expr, types as T } from 'spate';

const spark = Session.builder().appName('Ad clicks').config('spate.sql.shuffle.partitions', 3).getOrCreate();

const impressionsIn = new MemoryStream(spark, T.struct([T.field('impressionAdId', T.string()), T.field('impressionTime', T.timestamp())]));
const clicksIn = new MemoryStream(spark, T.struct([T.field('clickAdId', T.string()), T.field('clickTime', T.timestamp())]));

const impressionsWithWatermark = impressionsIn.toDF().withWatermark('impressionTime', '10 minutes');
const clicksWithWatermark = clicksIn.toDF().withWatermark('clickTime', '10 minutes');

const joined = impressionsWithWatermark.join(
  clicksWithWatermark,
  expr(`
    clickAdId = impressionAdId AND
    clickTime >= impressionTime AND
    clickTime <= impressionTime + interval 1 hour
    `),
  'leftOuter',
);

const query = joined.writeStream.format('console').option('truncate', false).start();
const at = (hhmm: string) => new Date(`2024-03-01T${hhmm}:00Z`);

impressionsIn.addData([{ impressionAdId: 'A', impressionTime: at('10:00') }, { impressionAdId: 'B', impressionTime: at('10:05') }]);
await query.processAllAvailable();
clicksIn.addData([{ clickAdId: 'A', clickTime: at('10:20') }]);            // A is clicked: printed joined
await query.processAllAvailable();
impressionsIn.addData([{ impressionAdId: 'C', impressionTime: at('11:30') }]);
await query.processAllAvailable();
clicksIn.addData([{ clickAdId: 'C', clickTime: at('11:40') }]);            // watermark 11:20: B can no longer be clicked
await query.processAllAvailable();
await query.stop();
