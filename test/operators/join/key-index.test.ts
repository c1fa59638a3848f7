// The join's key index against a Map (model based): after any sequence of adds and deletes it
// finds the same slots, including when hashes collide (a weak hash files many keys in one run
// of positions, which deletion must shift back without losing one) and across resizes.
import fc from 'fast-check';
import { KeyIndex } from '../../../src/operators/join/key-index.js';

/** An index whose hash is the key's length less 4: long overlapping runs of collisions, some wrapping around the table's end. */
class Colliding extends KeyIndex {
  override hash(key: string): number {
    return key.length - 4;
  }
}

type Op = { k: 'add'; key: string } | { k: 'delete'; key: string };

/** Keys of 1 to 8 characters, few enough that deletes find them. */
const keyArb = fc.integer({ min: 0, max: 1500 }).map((n) => `${'.'.repeat(n % 5)}${n}`);
const opsArb = fc.array(fc.oneof(
  { arbitrary: fc.record({ k: fc.constant('add' as const), key: keyArb }), weight: 3 },
  { arbitrary: fc.record({ k: fc.constant('delete' as const), key: keyArb }), weight: 2 },
), { minLength: 500, maxLength: 3000, size: 'max' });

/** What the index gets wrong against a Map after `ops` (empty when nothing). */
function mismatches(index: KeyIndex, ops: readonly Op[]): string[] {
  const model = new Map<string, number>();
  const wrong: string[] = [];
  let next = 0;
  for (const op of ops) {
    if (op.k === 'add') {
      if (model.has(op.key)) continue;
      index.add(op.key, next);
      model.set(op.key, next++);
    } else {
      index.delete(op.key);
      model.delete(op.key);
    }
    if (index.size !== model.size) wrong.push(`size ${index.size} after ${op.k} ${op.key}, expected ${model.size}`);
  }
  for (const [key, slot] of model) if (index.get(key) !== slot) wrong.push(`${key}: ${index.get(key)}, expected ${slot}`);
  for (const op of ops) if (!model.has(op.key) && index.get(op.key) !== -1) wrong.push(`${op.key} found after its delete`);
  return wrong;
}

describe('the join key index', () => {
  it('finds what a Map finds, after adds and deletes (model based)', () => {
    fc.assert(fc.property(opsArb, (ops) => { expect(mismatches(new KeyIndex(), ops)).toEqual([]); }), { numRuns: 40 });
  });

  it('finds what a Map finds when every hash collides, and across resizes', () => {
    fc.assert(fc.property(opsArb, (ops) => { expect(mismatches(new Colliding(), ops)).toEqual([]); }), { numRuns: 40 });
  });

  it('finds each of many keys again after half are deleted, and nothing after clear', () => {
    const index = new KeyIndex();
    for (let i = 0; i < 50_000; i++) index.add(`k${i}`, i);
    for (let i = 0; i < 50_000; i += 2) index.delete(`k${i}`);
    expect(index.size).toBe(25_000);
    const wrong: string[] = [];
    for (let i = 0; i < 50_000; i++) if (index.get(`k${i}`) !== (i % 2 === 0 ? -1 : i)) wrong.push(`k${i}`);
    expect(wrong).toEqual([]);
    index.clear();
    expect(index.size).toBe(0);
    expect(index.get('k1')).toBe(-1);
  });
});
