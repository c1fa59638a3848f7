// Rows, structs and maps are plain objects keyed by names that come from users and data. Two
// helpers keep such a name from meeting JavaScript's inherited properties: reading yields only
// own properties (`constructor` is not a field unless the object has one), and writing
// `__proto__` makes a field instead of changing the object's prototype.

/** `o[k]` when `o` has it as its own property, else null. */
export function own(o: object, k: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, k) ? (o as Record<string, unknown>)[k] ?? null : null;
}

/** Stores `v` under `key` of a row, struct or map object, even when the key is `__proto__`. */
export function put(o: Record<string, unknown>, key: string, v: unknown): void {
  if (key === '__proto__') Object.defineProperty(o, key, { value: v, enumerable: true, writable: true, configurable: true });
  else o[key] = v;
}
