/**
 * The one canonical JSON text of a value: equal content gives equal text, whatever the key order. Every
 * content hash (domain/hash.ts for links and derived ids, the stores' SHA-256 of a record) and every
 * "did this change?" comparison hashes or compares this text, so they cannot disagree on what is equal.
 *
 * - Object keys are sorted by UTF-16 code unit at every level, and members whose value is undefined are left
 *   out (the driver would store them as null, a schema refuses them).
 * - A Date is its ISO text, as JSON.stringify writes it: two different instants never read as equal.
 * - Array order counts; an undefined, a function or a non-finite number is `null`, as in a JSON array.
 *
 * Written as its own walk rather than JSON.stringify with a sorting replacer: an object rebuilt by a replacer
 * lists integer-like keys ("9", "10") first, in numeric order, whatever the sort said.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (value instanceof Date) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const members = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`);
    return `{${members.join(',')}}`;
  }
  return 'null';
}
