import { kindSpecOf, type SyncKind } from './kinds';

/**
 * Field mapping between CRM records and Books records (S2.5): the default maps of each kind of record, the
 * user's maps on top of them, their validation, and the projections both ways. Pure.
 *
 * A map pairs a CRM field (`Billing_City`, or a custom field's API name) with a Books field path:
 * a top-level field (`phone`), a field of an address (`billing_address.city`) or a custom field by its API
 * name (`custom_fields.cf_region`). Values are compared and stored in the CRM's representation.
 */

export type FieldOwner = 'crm' | 'books' | 'latest';

export interface FieldMapSpec {
  crmField: string;
  booksField: string;
  owner?: FieldOwner;
  mandatory?: boolean;
}

export interface ResolvedFieldMap {
  crmField: string;
  booksField: string;
  owner: FieldOwner;
  mandatory: boolean;
  /** Whether the user added it (else a default map). */
  custom: boolean;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Values keyed by CRM field, in the CRM's representation. */
export type FieldValues = Record<string, JsonValue>;

const CUSTOM_PREFIX = 'custom_fields.';
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,99}$/;

/** A field map that cannot be used, with every problem found. */
export class FieldMapError extends Error {
  override readonly name = 'FieldMapError';
  constructor(
    readonly kind: SyncKind,
    readonly problems: string[],
  ) {
    super(`Invalid field mapping for ${kind}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** What the Books org defines for the module the kind syncs into (S2.5: maps to custom fields must exist). */
export interface BooksCustomFieldDef {
  api_name: string;
  label?: string | null | undefined;
  data_type?: string | null | undefined;
}

/**
 * The maps in effect: the defaults, with a user map replacing the default of the same Books field, followed by
 * the user's other maps in their order. Throws one FieldMapError listing every problem: an unknown Books
 * field, a custom field the Books org does not define, a malformed name, a product-type map outside items,
 * the mandatory display field unmapped.
 */
export function resolveFieldMaps(
  kind: SyncKind,
  userMaps: readonly FieldMapSpec[],
  booksCustomFields: readonly BooksCustomFieldDef[],
): ResolvedFieldMap[] {
  const problems: string[] = [];
  const customNames = new Set(booksCustomFields.map((f) => f.api_name));
  const { defaultFieldMaps, booksFields } = kindSpecOf(kind);
  const standard = new Set(booksFields);
  userMaps.forEach((m, i) => {
    const at = `map ${i + 1} (${m.crmField} → ${m.booksField})`;
    if (!FIELD_NAME.test(m.crmField)) problems.push(`${at}: "${m.crmField}" is not a CRM field API name`);
    if (m.booksField.startsWith(CUSTOM_PREFIX)) {
      const name = m.booksField.slice(CUSTOM_PREFIX.length);
      if (!customNames.has(name))
        problems.push(
          `${at}: the Books custom field "${name}" does not exist for ${kind}s` +
            (customNames.size ? ` (defined: ${[...customNames].sort().join(', ')})` : ' (none is defined)'),
        );
    } else if (!standard.has(m.booksField)) {
      problems.push(
        m.booksField === 'product_type'
          ? `${at}: product type can be mapped only for items`
          : `${at}: "${m.booksField}" is not a Books field of ${kind}s`,
      );
    }
  });
  const dupes = userMaps.map((m) => m.booksField).filter((f, i, all) => all.indexOf(f) !== i);
  for (const f of new Set(dupes)) problems.push(`the Books field "${f}" is mapped more than once`);

  // A user map takes the place of the default of the same Books field (so the first-mapped rule holds),
  // inheriting its mandatory flag; the user's other maps follow the defaults.
  const byBooksField = new Map(userMaps.map((m) => [m.booksField, m]));
  const maps = [
    ...defaultFieldMaps.map((d) => {
      const user = byBooksField.get(d.booksField);
      return user
        ? resolved({ ...user, mandatory: user.mandatory || (d.mandatory ?? false) }, true)
        : resolved(d, false);
    }),
    ...userMaps
      .filter((m) => !defaultFieldMaps.some((d) => d.booksField === m.booksField))
      .map((m) => resolved(m, true)),
  ];
  for (const crmField of new Set(maps.map((m) => m.crmField))) {
    const owners = new Set(
      maps.filter((m) => m.crmField === crmField && m.owner !== 'latest').map((m) => m.owner),
    );
    if (owners.size > 1)
      problems.push(`${crmField} is owned by both the CRM and Books in different maps; choose one`);
  }
  if (problems.length) throw new FieldMapError(kind, problems);
  return maps;
}

function resolved(m: FieldMapSpec, custom: boolean): ResolvedFieldMap {
  return {
    crmField: m.crmField,
    booksField: m.booksField,
    owner: m.owner ?? 'latest',
    mandatory: m.mandatory ?? false,
    custom,
  };
}

/** The CRM fields the maps cover, each once, in map order. */
export function mappedCrmFields(maps: readonly ResolvedFieldMap[]): string[] {
  return [...new Set(maps.map((m) => m.crmField))];
}

/**
 * For each CRM field, the one Books field whose value is pushed to the CRM (S2.5): the mandatory one, else the
 * first mapped.
 */
export function booksSourceOf(maps: readonly ResolvedFieldMap[]): Map<string, ResolvedFieldMap> {
  const out = new Map<string, ResolvedFieldMap>();
  for (const m of maps) {
    const current = out.get(m.crmField);
    if (!current || (m.mandatory && !current.mandatory)) out.set(m.crmField, m);
  }
  return out;
}

/** The owner rule of a CRM field: the strictest of its maps (a CRM or Books owner beats `latest`). */
export function ownerOf(maps: readonly ResolvedFieldMap[], crmField: string): FieldOwner {
  const owners = maps.filter((m) => m.crmField === crmField).map((m) => m.owner);
  return owners.find((o) => o !== 'latest') ?? 'latest';
}

/** Empty text and absent values are the same thing on both sides: null. Text is trimmed. */
export function normalizeValue(value: unknown): JsonValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') {
    const t = value.trim();
    return t === '' ? null : t;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(normalizeValue);
  if (typeof value === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value)) out[k] = normalizeValue(v);
    return out;
  }
  return null;
}

/** The CRM record's values of the mapped fields, normalised. */
export function crmValues(maps: readonly ResolvedFieldMap[], record: Record<string, unknown>): FieldValues {
  const out: FieldValues = {};
  for (const field of mappedCrmFields(maps)) out[field] = normalizeValue(record[field]);
  return out;
}

/** The Books record's values, in the CRM's representation, per the one-source-per-CRM-field rule. */
export function booksValues(maps: readonly ResolvedFieldMap[], record: Record<string, unknown>): FieldValues {
  const out: FieldValues = {};
  for (const [crmField, m] of booksSourceOf(maps)) {
    out[crmField] = toCrmValue(m.booksField, readBooksField(record, m.booksField));
  }
  return out;
}

/**
 * A copy of `record` with every Books field mapped from the given CRM fields set to the CRM values, converted
 * to the Books representation. Fields outside `fields` are left as they are.
 */
export function writeBooksFields(
  maps: readonly ResolvedFieldMap[],
  record: Record<string, unknown>,
  values: FieldValues,
  fields: Iterable<string>,
): Record<string, unknown> {
  const wanted = new Set(fields);
  const out = structuredCloneJson(record);
  for (const m of maps) {
    if (!wanted.has(m.crmField)) continue;
    writeBooksField(out, m.booksField, toBooksValue(m.booksField, values[m.crmField] ?? null));
  }
  return out;
}

/** A copy of the CRM record with the given fields set (values already in the CRM representation). */
export function writeCrmFields(
  record: Record<string, unknown>,
  values: FieldValues,
  fields: Iterable<string>,
): Record<string, unknown> {
  const out = structuredCloneJson(record);
  for (const f of fields) out[f] = values[f] ?? null;
  return out;
}

/** Reads `phone`, `billing_address.city` or `custom_fields.cf_region` from a Books record. */
export function readBooksField(record: Record<string, unknown>, path: string): unknown {
  if (path.startsWith(CUSTOM_PREFIX)) {
    const name = path.slice(CUSTOM_PREFIX.length);
    const list = Array.isArray(record.custom_fields)
      ? (record.custom_fields as Record<string, unknown>[])
      : [];
    return list.find((f) => f.api_name === name)?.value;
  }
  const [head, sub] = path.split('.', 2) as [string, string | undefined];
  const value = record[head];
  if (sub === undefined) return value;
  return value && typeof value === 'object' ? (value as Record<string, unknown>)[sub] : undefined;
}

function writeBooksField(record: Record<string, unknown>, path: string, value: JsonValue): void {
  if (path.startsWith(CUSTOM_PREFIX)) {
    const name = path.slice(CUSTOM_PREFIX.length);
    const list = Array.isArray(record.custom_fields)
      ? (record.custom_fields as Record<string, unknown>[])
      : [];
    const existing = list.find((f) => f.api_name === name);
    if (existing) existing.value = value;
    else list.push({ api_name: name, value });
    record.custom_fields = list;
    return;
  }
  const [head, sub] = path.split('.', 2) as [string, string | undefined];
  if (sub === undefined) {
    // An empty CRM checkbox does not deactivate a Books record: status keeps its value.
    if (value === null && head === 'status') return;
    if (value === null) delete record[head];
    else record[head] = value;
    return;
  }
  const obj =
    record[head] && typeof record[head] === 'object' ? (record[head] as Record<string, unknown>) : {};
  if (value === null) delete obj[sub];
  else obj[sub] = value;
  record[head] = obj;
}

/** CRM → Books conversions by Books field; others pass through. */
function toBooksValue(booksField: string, value: JsonValue): JsonValue {
  if (booksField === 'status' && typeof value === 'boolean') return value ? 'active' : 'inactive';
  if (booksField === 'product_type' && typeof value === 'string') {
    if (value === 'Goods') return 'goods';
    if (value === 'Services') return 'service';
  }
  return value;
}

/** Books → CRM conversions, the inverse of toBooksValue. */
function toCrmValue(booksField: string, value: unknown): JsonValue {
  const v = normalizeValue(value);
  if (booksField === 'status' && typeof v === 'string') return v === 'active';
  if (booksField === 'product_type' && typeof v === 'string') return v === 'goods' ? 'Goods' : 'Services';
  return v;
}

/** The values a product-type map accepts from the CRM (S2.5: a Goods/Services picklist). */
export function checkProductTypeValue(
  maps: readonly ResolvedFieldMap[],
  values: FieldValues,
): string | undefined {
  const m = maps.find((x) => x.booksField === 'product_type');
  if (!m) return undefined;
  const v = values[m.crmField];
  if (v === null || v === 'Goods' || v === 'Services') return undefined;
  return `${m.crmField}: "${String(v)}" is neither Goods nor Services, so it cannot be the item's product type`;
}

function structuredCloneJson(record: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(record)) as Record<string, unknown>;
}
