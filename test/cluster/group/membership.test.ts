// The sticky assigner as the group leader runs it: every partition of every topic goes to one
// member, shares differ by at most one, and a member keeps what it held unless it must give
// some up; a member that left loses everything to the others.
import type { GroupMember } from 'kafkajs';
import { AssignerProtocol } from 'kafkajs';
import { stickyAssigner } from '../../../src/cluster/group/membership.js';

const counts: Record<string, number> = { src: 4, rep: 8 };

function member(memberId: string, worker: string, held: Record<string, number[]>): GroupMember {
  const userData = Buffer.from(JSON.stringify({ worker, held }));
  return { memberId, memberMetadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics: ['src', 'rep'], userData }) };
}

async function assign(members: GroupMember[]): Promise<Map<string, Record<string, number[]>>> {
  const assigner = stickyAssigner(() => ({}), 'leader', (t) => counts[t]!)({} as never);
  const out = await assigner.assign({ members, topics: ['src', 'rep'] });
  return new Map(out.map((a) => [a.memberId, AssignerProtocol.MemberAssignment.decode(a.memberAssignment)!.assignment]));
}

describe('stickyAssigner', () => {
  it('deals every partition once, balanced', async () => {
    const a = await assign([member('m1', 'w1', {}), member('m2', 'w2', {}), member('m3', 'w3', {})]);
    for (const t of ['src', 'rep']) {
      const all = [...a.values()].flatMap((x) => x[t] ?? []).sort((x, y) => x - y);
      expect(all).toEqual(Array.from({ length: counts[t]! }, (_, i) => i));
      const sizes = [...a.values()].map((x) => (x[t] ?? []).length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('moves only what a joining member must get, and whole units', async () => {
    const first = await assign([member('m1', 'w1', {}), member('m2', 'w2', {})]);
    const second = await assign([member('m1', 'w1', first.get('m1')!), member('m2', 'w2', first.get('m2')!), member('m3', 'w3', {})]);
    for (const t of ['src', 'rep']) {
      for (const m of ['m1', 'm2']) for (const p of second.get(m)![t] ?? []) expect(first.get(m)![t]).toContain(p);
      const moved = (second.get('m3')![t] ?? []).length;
      expect(moved).toBe(Math.floor(counts[t]! / 3));
    }
  });

  it("gives a departed member's units to the others and leaves theirs in place", async () => {
    const first = await assign([member('m1', 'w1', {}), member('m2', 'w2', {}), member('m3', 'w3', {})]);
    const second = await assign([member('m1', 'w1', first.get('m1')!), member('m3', 'w3', first.get('m3')!)]);
    for (const t of ['src', 'rep']) {
      for (const m of ['m1', 'm3']) for (const p of first.get(m)![t] ?? []) expect(second.get(m)![t]).toContain(p);
      expect([...(second.get('m1')![t] ?? []), ...(second.get('m3')![t] ?? [])].sort((x, y) => x - y)).toEqual(Array.from({ length: counts[t]! }, (_, i) => i));
    }
  });
});
