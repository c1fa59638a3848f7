// The notes' "unmanaged stateful operation": keep a running profile per customer and remove the
// state of customers inactive for a long time, with flatMapGroupsWithState and a processing-time
// timeout. Every purchase resets the customer's timeout; when it passes, the function is called
// once more (no rows, state.hasTimedOut) and removes the state, so state stays bounded.
import { GroupStateTimeout, types as T } from 'spate';
import type { DataFrame, GroupState } from 'spate';

export const purchaseSchema = T.struct([
  T.field('customerId', T.string()), T.field('amount', T.double()), T.field('purchasedAt', T.timestamp()),
]);
export type Purchase = NonNullable<(typeof purchaseSchema)['__row']>;

export const customerActivitySchema = T.struct([
  T.field('customerId', T.string()), T.field('purchases', T.long()), T.field('totalSpent', T.double()),
  T.field('lastPurchase', T.timestamp()), T.field('status', T.string()),
]);
export type CustomerActivity = NonNullable<(typeof customerActivitySchema)['__row']>;

/** What is kept per customer between batches. */
export interface CustomerProfile {
  purchases: number;
  totalSpent: number;
  lastPurchaseMs: number;
}

/** One row per customer that bought something in the batch ('active') or just went inactive ('inactive'). */
export function trackCustomers(purchases: DataFrame<Purchase>, inactivity: string): DataFrame<CustomerActivity> {
  return purchases
    .groupByKey((p) => p.customerId)
    .flatMapGroupsWithState(
      { outputMode: 'update', timeout: GroupStateTimeout.ProcessingTimeTimeout, outputSchema: customerActivitySchema },
      (customerId: string | null, rows: Purchase[], state: GroupState<CustomerProfile>): CustomerActivity[] => {
        if (state.hasTimedOut) {
          const profile = state.get();
          state.remove();
          return [row(customerId, profile, 'inactive')];
        }
        const profile = state.getOption() ?? { purchases: 0, totalSpent: 0, lastPurchaseMs: 0 };
        for (const p of rows) {
          profile.purchases++;
          profile.totalSpent += p.amount ?? 0;
          profile.lastPurchaseMs = Math.max(profile.lastPurchaseMs, p.purchasedAt?.getTime() ?? 0);
        }
        state.update(profile);
        state.setTimeoutDuration(inactivity);
        return [row(customerId, profile, 'active')];
      },
    );
}

function row(customerId: string | null, p: CustomerProfile, status: string): CustomerActivity {
  return { customerId, purchases: p.purchases, totalSpent: p.totalSpent, lastPurchase: new Date(p.lastPurchaseMs), status };
}
