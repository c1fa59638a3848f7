// Which partitions a Kafka source reads now, and where a new query starts in each of them.
import { ConnectorError } from '../../errors.js';
import type { KafkaCluster } from './cluster.js';
import type { StartingOffsets, Strategy } from './source-options.js';

/** The partitions the strategy names that exist now, per topic. */
export async function discoverPartitions(cluster: KafkaCluster, strategy: Strategy): Promise<Map<string, number[]>> {
  const all = await cluster.topics();
  const out = new Map<string, number[]>();
  switch (strategy.kind) {
    case 'subscribe':
      for (const t of strategy.topics) { const ps = all.get(t); if (ps) out.set(t, ps); }
      break;
    case 'subscribePattern':
      for (const [t, ps] of [...all].sort(([a], [b]) => (a < b ? -1 : 1))) if (strategy.pattern.test(t)) out.set(t, ps);
      break;
    case 'assign':
      for (const [t, ps] of strategy.partitions) {
        const existing = new Set(all.get(t) ?? []);
        const present = ps.filter((p) => existing.has(p));
        if (present.length) out.set(t, present);
      }
      break;
  }
  return out;
}

/** Resolves earliest / latest / per-partition offsets (-2, -1) into offsets for `parts`. */
export async function resolveOffsets(cluster: KafkaCluster, parts: Map<string, number[]>, spec: StartingOffsets, option: string): Promise<Map<string, Map<number, number>>> {
  if (parts.size === 0) return new Map();
  const need = (which: 'earliest' | 'latest'): Promise<Map<string, Map<number, number>>> => cluster.offsets(parts, which);
  if (spec === 'earliest' || spec === 'latest') return need(spec);
  const [earliest, latest] = await Promise.all([need('earliest'), need('latest')]);
  const out = new Map<string, Map<number, number>>();
  for (const [t, ps] of parts) {
    const given = spec[t];
    const m = new Map<number, number>();
    for (const p of ps) {
      const o = given?.[String(p)];
      if (o === undefined) {
        throw new ConnectorError(
          `${option} names specific offsets but not ${t}-${p}: if ${option} contains specific offsets, you must specify all TopicPartitions. ` +
          'Use -1 for latest, -2 for earliest.',
        );
      }
      m.set(p, o === -2 ? earliest.get(t)!.get(p)! : o === -1 ? latest.get(t)!.get(p)! : o);
    }
    out.set(t, m);
  }
  return out;
}
