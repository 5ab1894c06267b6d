import { createHash } from 'node:crypto';
import { canonicalJson } from '../domain/canonical-json';

/**
 * The content hash kept beside a stored record or setting: SHA-256 of its canonical JSON (the one of
 * domain/canonical-json.ts), without the API's modified-time field, which the store itself stamps on every
 * write and so must not make a repeated write look changed. Here and not in domain/ only because SHA-256
 * comes from node:crypto, which domain/ may not import; domain/hash.ts hashes the same text for links and
 * ids with a pure 64-bit hash, and the two stay apart because stored values must keep theirs.
 */
export function contentHashOf(data: unknown, modifiedField: string): string {
  const rest =
    data !== null && typeof data === 'object' && !Array.isArray(data)
      ? Object.fromEntries(Object.entries(data).filter(([key]) => key !== modifiedField))
      : data;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}
