import {
  IntegrationConfigSchema,
  checkIntegrationConfig,
  type IntegrationConfig,
} from './sync-state-schemas';
import { describeUnknownKey, findUnknownKeys } from './unknown-keys';

/**
 * The integration configuration as an operator gives it (a file, a request body): checked strictly — a key
 * the schema does not know is refused with the closest known one, since dropping it silently changes nothing
 * while telling the operator it was saved — and, once saved, what changed. Pure.
 */

/**
 * The configuration parsed, or every problem with it as `path: reason` lines: unknown keys (with the key
 * probably meant) first, then the schema's own issues. The one check the CLI, the operations (HTTP, typed
 * client), the workflow's validators and its activities apply alike.
 */
export function checkConfigInput(
  config: unknown,
): { ok: true; config: IntegrationConfig } | { ok: false; issues: string[] } {
  const unknown = findUnknownKeys(IntegrationConfigSchema, config).map(describeUnknownKey);
  const checked = checkIntegrationConfig(config);
  if (unknown.length === 0) return checked;
  return { ok: false, issues: [...unknown, ...(checked.ok ? [] : checked.issues)] };
}

export interface ConfigChange {
  /** Dotted path of the setting, e.g. `customers.includeOrphanContacts`. */
  path: string;
  before: string;
  after: string;
}

/** Settings whose values are never printed, only that they changed. */
const SECRET = /secret|token|password|passwd|api_?key|credential/i;
/** A value longer than this is cut (a long field map list), so an audit line stays readable. */
const MAX_VALUE = 200;

function show(value: unknown): string {
  if (value === undefined) return '(unset)';
  const text = JSON.stringify(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The settings that differ between two configurations, leaf by leaf (a list, such as field maps, counts as
 * one value), in the order of `after` then keys only `before` has. Secret-looking settings show `***`.
 */
export function configChanges(before: unknown, after: unknown): ConfigChange[] {
  const changes: ConfigChange[] = [];
  const walk = (a: unknown, b: unknown, path: string[]) => {
    if (isObject(a) && isObject(b)) {
      const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
      for (const key of keys) walk(a[key], b[key], [...path, key]);
      return;
    }
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    const secret = path.some((p) => SECRET.test(p));
    changes.push({
      path: path.join('.') || '(config)',
      before: secret ? '***' : show(a),
      after: secret ? '***' : show(b),
    });
  };
  walk(before, after, []);
  return changes;
}

/** `periodicSyncMinutes: 120 → 30; customers.extent: "fetch_from_crm" → "both_ways"`. */
export function describeConfigChanges(changes: ConfigChange[]): string {
  return changes.map((c) => `${c.path}: ${c.before} → ${c.after}`).join('; ');
}
