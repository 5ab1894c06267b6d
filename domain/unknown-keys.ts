import { z } from 'zod';

/**
 * Keys a request carries that its schema does not know, each with the closest known key: a stripping zod
 * schema drops them silently and a strict one only says "unrecognized", while an operator who typed
 * `periodicSyncMinute` needs to hear "did you mean periodicSyncMinutes?". Pure.
 */

export interface UnknownKey {
  /** Where the object holding the key sits in the value (empty at the top). */
  path: (string | number)[];
  key: string;
  /** The known key it most likely meant; absent when none is close. */
  suggestion?: string;
  /** The keys the schema knows at that place. */
  known: string[];
}

/**
 * The edit distance of two strings (optimal string alignment: an insertion, a deletion, a replacement or a
 * swap of two neighbouring characters each cost 1).
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/** Case, `_` and `-` do not count: `periodic_sync_minutes` and `PeriodicSyncMinutes` are the same key. */
const normalise = (key: string) => key.toLowerCase().replace(/[-_]/g, '');

/**
 * The known key closest to `key`, or undefined when none is close enough to be a typo: at most 1 edit for
 * keys of up to 4 characters, 2 up to 8, then a third of the length. The first known key wins a tie.
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const typed = normalise(key);
  const allowed = typed.length <= 4 ? 1 : typed.length <= 8 ? 2 : Math.floor(typed.length / 3);
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    if (candidate === key) continue;
    const distance = editDistance(typed, normalise(candidate));
    if (distance <= allowed && (!best || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

/** The schema a wrapper (optional, default, nullable, readonly, catch, pipe) stands for. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let i = 0; i < 20; i++) {
    if (
      s instanceof z.ZodOptional ||
      s instanceof z.ZodNullable ||
      s instanceof z.ZodDefault ||
      s instanceof z.ZodPrefault ||
      s instanceof z.ZodReadonly ||
      s instanceof z.ZodCatch
    )
      s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodPipe)
      // A check on the raw input piped into the real schema (safeKeys): the keys are the real schema's.
      s = (s.in instanceof z.ZodUnknown || s.in instanceof z.ZodAny ? s.out : s.in) as z.ZodType;
    else return s;
  }
  return s;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Every key of `value` that `schema` does not declare, as deep as the schema describes it (objects, arrays
 * of objects, and their optional/default wrappers); loose objects, records and unions take any key. At most
 * `limit` are returned.
 */
export function findUnknownKeys(schema: z.ZodType, value: unknown, limit = 50): UnknownKey[] {
  const found: UnknownKey[] = [];
  const walk = (s: z.ZodType, v: unknown, path: (string | number)[]) => {
    if (found.length >= limit) return;
    const inner = unwrap(s);
    if (inner instanceof z.ZodArray && Array.isArray(v)) {
      v.forEach((item, i) => walk(inner.element as z.ZodType, item, [...path, i]));
      return;
    }
    if (!(inner instanceof z.ZodObject) || !isPlainObject(v)) return;
    const catchall = inner._zod.def.catchall;
    const strict = catchall === undefined || catchall instanceof z.ZodNever;
    const shape = inner.shape as Record<string, z.ZodType>;
    const known = Object.keys(shape);
    for (const key of Object.keys(v)) {
      if (Object.hasOwn(shape, key)) walk(shape[key]!, v[key], [...path, key]);
      else if (strict && found.length < limit) {
        const suggestion = closestKey(key, known);
        found.push({ path, key, known, ...(suggestion && { suggestion }) });
      }
    }
  };
  walk(schema, value, []);
  return found;
}

/** `periodicSyncMinute: unknown key; did you mean periodicSyncMinutes?` (or the keys it may be). */
export function describeUnknownKey(unknown: UnknownKey): string {
  const where = [...unknown.path, unknown.key].join('.');
  const hint = unknown.suggestion
    ? `did you mean ${unknown.suggestion}?`
    : `expected one of ${unknown.known.join(', ')}`;
  return `${where}: unknown key; ${hint}`;
}
