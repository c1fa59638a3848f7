// Small helpers shared by tests.
import type { Row } from '../../src/index.js';
import { Session } from '../../src/index.js';

/** A fresh session for one test file, with few shuffle partitions. */
export function testSession(conf: Record<string, string | number | boolean> = {}): Session {
  const b = Session.builder().appName('test').config('spate.sql.shuffle.partitions', 3);
  for (const [k, v] of Object.entries(conf)) b.config(k, v);
  return b.create();
}

/** Rows sorted by their JSON form, for order-independent comparison. */
export function sortRows<R extends Row>(rows: readonly R[]): R[] {
  return [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

/** Waits until `check` returns true, polling; fails with `what` after `ms`. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 10000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
