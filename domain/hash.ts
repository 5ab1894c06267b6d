import { canonicalJson } from './canonical-json';

/**
 * The canonical JSON of domain/canonical-json.ts under the name its first callers know it by: one function,
 * so a comparison here and a hash there never disagree on what is equal.
 */
export const stableStringify = canonicalJson;

/**
 * A stable content hash of JSON values (of their canonical JSON): key order does not matter, array order
 * does. Used to recognise our own writes (so they do not echo back), writes that change nothing, and to
 * derive ids. Not cryptographic: two 32-bit FNV-1a-style lanes with different seeds, 64 bits in all, which is
 * plenty to tell versions of one record apart. Pure (no node:crypto, so workflows and domain code may use
 * it); the stores hash what they store with SHA-256 of the same text (stores/content-hash.ts), which stays
 * apart because stored hashes and derived ids must keep their values.
 */
export function contentHash(value: unknown): string {
  const text = canonicalJson(value);
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}
