// Runs kafka-child.ts processes for the Kafka exactly-once tests and follows what they print, so
// a test acts when a child reached a point (READY, COMMITTED n, GATED), never after a guessed delay.
import { ChildLife } from './child-life.js';
import type { KafkaChildConfig } from './kafka-child.js';

export class KafkaLife extends ChildLife {
  constructor(cfg: KafkaChildConfig) {
    super('test/support/kafka-child.ts', cfg);
  }

  /** Epochs this life committed (COMMITTED lines). */
  get committed(): number {
    return this.lines('COMMITTED ').length;
  }

  /** Resolves once `check` holds of the output, or the child ended (check the outcome then). */
  until(check: (life: KafkaLife) => boolean): Promise<void> {
    return new Promise((resolve) => {
      this.watch(() => {
        const done = check(this) || !this.alive;
        if (done) resolve();
        return done;
      });
    });
  }
}
