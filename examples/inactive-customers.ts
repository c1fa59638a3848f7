// Removes customers inactive for a while (the notes' unmanaged state example), live: three
// customers buy every second; c2 stops after 3 seconds, and once 5 seconds pass without a purchase
// its state is removed and an 'inactive' row printed. Runs for 12 seconds.
//   npx tsx examples/inactive-customers.ts
import { MemoryStream, Session, Trigger } from 'spate';
import { purchaseSchema, trackCustomers } from './customer-activity.js';

const spark = Session.builder().appName('inactive customers').config('spate.sql.shuffle.partitions', 3).getOrCreate();
const purchases = new MemoryStream(spark, purchaseSchema);

const query = trackCustomers(purchases.toDF(), '5 seconds').writeStream
  .format('console')
  .outputMode('update')
  .trigger(Trigger.ProcessingTime('1 second'))
  .start();

let second = 0;
const feed = setInterval(() => {
  second++;
  const buyers = second <= 3 ? ['c1', 'c2', 'c3'] : ['c1', 'c3'];
  purchases.addData(buyers.map((customerId) => ({ customerId, amount: 10 * second, purchasedAt: new Date() })));
}, 1000);

setTimeout(() => {
  clearInterval(feed);
  void query.stop().then(() => {
    const state = query.lastProgress?.stateOperators[0];
    process.stdout.write(`customers in state at the end: ${state?.numRowsTotal ?? 0}\n`);
  });
}, 12_000);
