// A worker thread that runs a many-cores hand loop over its share of the input when asked
// (many-cores.ts starts two, as spate's local[2] has two): `{ kind, events, part, parts }` in,
// the loop's count out.
import { parentPort } from 'node:worker_threads';
import type { Kind } from './sources/generated-events.js';
import { handLoop } from './scenarios/many-cores-hand.js';

export interface HandTask {
  readonly kind: Kind;
  readonly events: number;
  readonly part: number;
  readonly parts: number;
}

parentPort!.on('message', (t: HandTask) => {
  parentPort!.postMessage(handLoop(t.kind)(t.events, t.part, t.parts));
});
parentPort!.postMessage('ready');
