// A logical plan as text, for df.explain() and query.explain(): the tree as JSON, with user
// functions shown as [fn] and credentials in options masked (secret option keys, URL passwords).
import { isSecretOption, redactText } from '../secrets.js';
import type { LogicalPlan } from './logical.js';

export function planString(plan: LogicalPlan): string {
  return JSON.stringify(plan, (k, v: unknown) => {
    if (typeof v === 'function' && k !== 'child' && k !== 'left' && k !== 'right') return '[fn]';
    if (typeof v === 'string') return isSecretOption(k) ? '***' : redactText(v);
    return v;
  }, 2);
}
