import { z } from 'zod';

/**
 * Keys that must never reach a stored document. A key starting with `$` is read by MongoDB as an operator
 * (`{$where: …}`, `{$set: …}`) or rejected by the server; a NUL byte truncates the key in BSON; `__proto__`
 * rewrites the prototype of the object a naive merge copies it into. Every document schema runs this check
 * on the raw input, before any field is parsed, so no record carrying such a key is ever accepted.
 */

/** BSON refuses documents nested deeper than 100 levels; refusing here gives a clear reason instead. */
export const MAX_DOCUMENT_DEPTH = 100;

export type KeyPath = (string | number)[];

/** One offending key: where it is (the path includes the key itself) and why it is refused. */
export interface UnsafeKey {
  path: KeyPath;
  reason: string;
}

/**
 * Stricter rules for documents stored as they are (sync state, store envelopes): `.` is a path separator to
 * MongoDB and FerretDB v1 refuses it on write; `maxDepth` caps nesting below BSON's own limit.
 */
export interface KeyRules {
  forbidDots?: boolean;
  maxDepth?: number;
}

/** The rules for documents written to MongoDB as they are: no dotted keys, at most 64 levels. */
export const STORED_KEY_RULES: KeyRules = { forbidDots: true, maxDepth: 64 };

/** Why a single key is refused, or undefined when it is safe. */
export function unsafeKeyReason(key: string, rules: KeyRules = {}): string | undefined {
  if (key.startsWith('$'))
    return `key ${JSON.stringify(key)} starts with "$" (reserved for MongoDB operators)`;
  if (rules.forbidDots && key.includes('.')) return `key ${JSON.stringify(key)} contains "."`;
  if (key.includes('\0')) return `key ${JSON.stringify(key)} contains a NUL character`;
  if (key === '__proto__') return 'key "__proto__" is not allowed';
  return undefined;
}

/**
 * Every unsafe key in a JSON-like value, depth-first in key order, walking nested objects and arrays.
 * Stops after `limit` findings. Also reports nesting deeper than MAX_DOCUMENT_DEPTH and circular
 * references, which no JSON document can contain.
 */
export function findUnsafeKeys(value: unknown, limit = 20, rules: KeyRules = {}): UnsafeKey[] {
  const maxDepth = rules.maxDepth ?? MAX_DOCUMENT_DEPTH;
  const found: UnsafeKey[] = [];
  const ancestors: object[] = [];

  const walk = (node: unknown, path: KeyPath): void => {
    if (found.length >= limit || node === null || typeof node !== 'object') return;
    if (ancestors.includes(node)) {
      found.push({ path, reason: 'circular reference' });
      return;
    }
    if (ancestors.length >= maxDepth) {
      found.push({ path, reason: `nested deeper than ${maxDepth} levels` });
      return;
    }
    ancestors.push(node);
    if (Array.isArray(node)) {
      node.forEach((item, index) => walk(item, [...path, index]));
    } else {
      for (const key of Object.keys(node)) {
        if (found.length >= limit) break;
        const reason = unsafeKeyReason(key, rules);
        if (reason !== undefined) found.push({ path: [...path, key], reason });
        else walk((node as Record<string, unknown>)[key], [...path, key]);
      }
    }
    ancestors.pop();
  };

  walk(value, []);
  return found;
}

/** The first unsafe key in a value, or undefined when every key is safe. */
export function findUnsafeKey(value: unknown, rules: KeyRules = {}): UnsafeKey | undefined {
  return findUnsafeKeys(value, 1, rules)[0];
}

/** A zod refinement adding one issue per unsafe key, at the key's path. */
export function refineSafeKeys(value: unknown, ctx: z.RefinementCtx, rules: KeyRules = {}): void {
  for (const unsafe of findUnsafeKeys(value, 20, rules)) {
    ctx.addIssue({ code: 'custom', path: unsafe.path, message: unsafe.reason, input: value });
  }
}

/**
 * Wraps a schema so the raw input is checked for unsafe keys first; only a clean input is parsed by
 * `schema`. The check runs on the input rather than the output because zod drops `__proto__` and a
 * stripping schema drops unknown keys silently: a refused key must be reported, not lost. The wrapped
 * object schema stays reachable as `.out` (for `.shape`, `.partial()`, …).
 */
export function safeKeys<T extends z.ZodType>(schema: T, rules: KeyRules = {}): z.ZodPipe<z.ZodUnknown, T> {
  return z
    .unknown()
    .superRefine((value, ctx) => refineSafeKeys(value, ctx, rules))
    .pipe(schema);
}

/**
 * Real Zoho CRM responses carry top-level metadata keys such as `$approved`, `$editable`, `$state` or
 * `$currency_symbol`, which a store must not keep as they are. This moves them out of the record, keyed
 * without the leading `$`, so an importer can keep or drop them explicitly. Nested keys are left alone
 * (and still refused by the schemas).
 */
export function splitDollarKeys(record: Record<string, unknown>): {
  record: Record<string, unknown>;
  meta: Record<string, unknown>;
} {
  // Object.fromEntries defines own properties, so even a `__proto__` key survives as data (and is refused later).
  const entries = Object.entries(record);
  return {
    record: Object.fromEntries(entries.filter(([key]) => !isMetaKey(key))),
    meta: Object.fromEntries(
      entries.filter(([key]) => isMetaKey(key)).map(([key, value]) => [key.slice(1), value]),
    ),
  };
}

function isMetaKey(key: string): boolean {
  return key.length > 1 && key.startsWith('$');
}
