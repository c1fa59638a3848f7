// A logical plan as text, for df.explain() and query.explain(): the tree as JSON, with user
// functions shown as [fn].
import type { LogicalPlan } from './logical.js';

export function planString(plan: LogicalPlan): string {
  return JSON.stringify(plan, (k, v: unknown) => (k === 'child' || k === 'left' || k === 'right' || typeof v !== 'function' ? v : '[fn]'), 2);
}
