import {
  CRM_COMPARATORS,
  type CrmComparator,
  type CrmCriteria,
  type CrmCriteriaCondition,
  type CrmCriteriaGroup,
  type CrmView,
} from './crm-schemas';
import { IsoDateSchema, TimestampSchema } from './validation';

/*
 * The CRM view filter of S2.4: a sync run keeps only the records of the chosen view. A view is compiled once
 * per page (every problem with it is found then, as a ViewError) and the compiled filter is a plain predicate
 * run per record, which never throws: a record whose field cannot be compared simply does not match.
 *
 * Comparators follow Zoho CRM's criteria: text compares case-insensitively and trimmed, numbers numerically,
 * ISO date-times as instants, lookups (`{id, name}`) by id or by name, multi-value fields match when any of
 * their values does. Where Zoho publishes no rule the choice made here is commented where it is made.
 */

/** What a view is compiled against: the module being synced, the integration's CRM user, and the run's clock. */
export interface ViewContext {
  /** The CRM module API name of the records (`Accounts`, `Contacts`, …). */
  module: string;
  /** The CRM user whose "My …" view this is. */
  currentUserId: string;
  /** The run's "now", an ISO 8601 timestamp with a zone (never the wall clock: workflows must replay). */
  now: string;
}

export interface ViewFilter {
  matches(record: Record<string, unknown>): boolean;
  /** A readable statement of what the view keeps, for logs and the sync history. */
  describe: string;
}

/** A view that cannot be applied: another module's, an unknown system view, a malformed criterion. Permanent. */
export class ViewError extends Error {
  override readonly name = 'ViewError';
  constructor(
    message: string,
    readonly view: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/*
 * Zoho does not publish how far back its "Recently Created" and "Recently Modified" views look; 30 days is our
 * choice, applied to Created_Time / Modified_Time against the run's `now`.
 */
export const RECENT_WINDOW_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The system views we know how to evaluate. */
export type PredefinedView = 'ALL' | 'MY' | 'RECENTLY_CREATED' | 'RECENTLY_MODIFIED';

const PREDEFINED: Readonly<Record<string, PredefinedView>> = {
  ALL: 'ALL',
  MY: 'MY',
  RECENTLYCREATED: 'RECENTLY_CREATED',
  RECENTLYMODIFIED: 'RECENTLY_MODIFIED',
};

type Predicate = (record: Record<string, unknown>) => boolean;

interface Compiled {
  test: Predicate;
  describe: string;
}

/**
 * Compiles a view for the records of `ctx.module`. Pure. Throws ViewError, naming the view, the field and the
 * problem, for a view of another module, an unknown system view, or a criterion that cannot be evaluated
 * (a comparator that does not fit its value, an invalid date, an unsupported `${…}` placeholder).
 */
export function compileView(view: CrmView, ctx: ViewContext): ViewFilter {
  const label = viewLabel(view);
  const fail = (problem: string, field?: string): never => {
    throw new ViewError(
      `view ${label}: ${field === undefined ? '' : `field ${field}: `}${problem}`,
      label,
      field,
    );
  };

  if (view.module.toLowerCase() !== ctx.module.toLowerCase()) {
    fail(`is a view of ${view.module}, not of ${ctx.module}`);
  }
  const now = parseTemporal(ctx.now);
  if (now?.instant === undefined)
    fail(`the run's now ${JSON.stringify(ctx.now)} is not an ISO 8601 timestamp`);

  const parts: Compiled[] = [];
  const system = resolvePredefined(view);
  if (system.kind === 'unknown') {
    fail(
      `unknown predefined view ${JSON.stringify(system.name)}: expected All, My, Recently Created or Recently Modified`,
    );
  }
  if (system.kind === 'known' && system.view !== 'ALL') {
    parts.push(compilePredefined(system.view, ctx, now?.instant ?? 0, fail));
  }
  if (view.criteria !== null && view.criteria !== undefined) {
    parts.push(compileCriteria(view.criteria, fail));
  }

  if (parts.length === 0) return { matches: () => true, describe: `${label}: all records` };
  const [only] = parts;
  if (parts.length === 1 && only !== undefined) {
    return { matches: only.test, describe: `${label}: ${only.describe}` };
  }
  // A system view that also carries criteria (Zoho's "All Open Leads" is ALLVIEWS with Converted__s = false)
  // keeps the records that satisfy both.
  return {
    matches: (record) => parts.every((part) => part.test(record)),
    describe: `${label}: ${parts.map((part) => `(${part.describe})`).join(' and ')}`,
  };
}

/** True when the view keeps every record (an All view, or a view without criteria): the store may skip it. */
export function viewMatchesAll(view: CrmView): boolean {
  if (view.criteria !== null && view.criteria !== undefined) return false;
  const system = resolvePredefined(view);
  return system.kind === 'none' || (system.kind === 'known' && system.view === 'ALL');
}

function viewLabel(view: CrmView): string {
  return `${JSON.stringify(view.name)} (id ${view.id}, ${view.module})`;
}

// ---------------------------------------------------------------------------------------------------------
// Predefined views

type Resolved =
  { kind: 'none' } | { kind: 'known'; view: PredefinedView } | { kind: 'unknown'; name: string };

/**
 * The system view a view stands for. Zoho's system names (ALLVIEWS, MYVIEWS, RECENTLYCREATED, …) and the
 * names it shows (All Accounts, My Accounts, Recently Created Accounts) both resolve: case, spaces and
 * underscores are ignored, and a trailing module word or VIEW(S) is dropped. A predefined view without a
 * system_name is known by its criteria when it has some, else by its name.
 */
function resolvePredefined(view: CrmView): Resolved {
  const systemName = view.system_name?.trim();
  let name: string | undefined;
  if (systemName !== undefined && systemName !== '') name = systemName;
  else if (view.predefined === true && (view.criteria === null || view.criteria === undefined))
    name = view.name;
  if (name === undefined) return { kind: 'none' };
  const key = predefinedKey(name, view.module);
  const known = Object.hasOwn(PREDEFINED, key) ? PREDEFINED[key] : undefined;
  return known === undefined ? { kind: 'unknown', name } : { kind: 'known', view: known };
}

function predefinedKey(name: string, module: string): string {
  const squash = (text: string) => text.toUpperCase().replace(/[^A-Z0-9]/g, '');
  const moduleWord = squash(module);
  const suffixes = ['VIEWS', 'VIEW', moduleWord];
  if (moduleWord.endsWith('S')) suffixes.push(moduleWord.slice(0, -1));
  let key = squash(name);
  for (let changed = true; changed;) {
    changed = false;
    for (const suffix of suffixes) {
      if (suffix !== '' && key.length > suffix.length && key.endsWith(suffix)) {
        key = key.slice(0, -suffix.length);
        changed = true;
      }
    }
  }
  return key;
}

function compilePredefined(
  kind: Exclude<PredefinedView, 'ALL'>,
  ctx: ViewContext,
  nowMs: number,
  fail: (problem: string, field?: string) => never,
): Compiled {
  if (kind === 'MY') {
    if (ctx.currentUserId.trim() === '')
      fail("a My view needs the CRM user it is for (the integration's ownerUserId), and none was given");
    const userId = ctx.currentUserId.trim();
    return {
      test: (record) => refId(fieldValue(record, 'Owner')) === userId,
      describe: `Owner is user ${userId}`,
    };
  }
  const field = kind === 'RECENTLY_CREATED' ? 'Created_Time' : 'Modified_Time';
  const since = nowMs - RECENT_WINDOW_DAYS * DAY_MS;
  // Records stamped after `now` (clock skew between the CRM and us) are still recent, so there is no upper bound.
  return {
    test: (record) => {
      const value = fieldValue(record, field);
      if (typeof value !== 'string') return false;
      const instant = parseTemporal(value)?.instant;
      return instant !== undefined && instant >= since;
    },
    describe: `${field} within the last ${RECENT_WINDOW_DAYS} days (since ${new Date(since).toISOString()})`,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Criteria

const isGroup = (criteria: CrmCriteria): criteria is CrmCriteriaGroup =>
  Object.hasOwn(criteria, 'group_operator') || Object.hasOwn(criteria, 'group');

function compileCriteria(criteria: CrmCriteria, fail: (problem: string, field?: string) => never): Compiled {
  if (isGroup(criteria)) {
    const operator: unknown = criteria.group_operator;
    if (operator !== 'and' && operator !== 'or') {
      fail(`group_operator must be "and" or "or", got ${JSON.stringify(operator)}`);
    }
    if (!Array.isArray(criteria.group) || criteria.group.length === 0) fail('a criteria group is empty');
    const members = criteria.group.map((member) => {
      const compiled = compileCriteria(member, fail);
      return isGroup(member) ? { ...compiled, describe: `(${compiled.describe})` } : compiled;
    });
    const tests = members.map((member) => member.test);
    return {
      test:
        operator === 'and'
          ? (record) => tests.every((test) => test(record))
          : (record) => tests.some((test) => test(record)),
      describe: members.map((member) => member.describe).join(` ${operator} `),
    };
  }
  return compileCondition(criteria, fail);
}

function compileCondition(
  condition: CrmCriteriaCondition,
  failView: (problem: string, field?: string) => never,
): Compiled {
  const apiName: unknown = condition.field?.api_name;
  if (typeof apiName !== 'string' || apiName.trim() === '') {
    failView(`a condition has no field api_name (${JSON.stringify(condition.field)})`);
  }
  const field = String(apiName);
  const fail = (problem: string): never => failView(problem, field);
  const comparator: unknown = condition.comparator;
  if (!isComparator(comparator)) {
    fail(`unknown comparator ${JSON.stringify(comparator)}; expected one of ${CRM_COMPARATORS.join(', ')}`);
  }
  const op = comparator as CrmComparator;
  // Zoho marks a literal operand with type "value"; other types (comparing two fields, …) are not supported.
  if (condition.type !== undefined && condition.type !== 'value') {
    fail(`criteria of type ${JSON.stringify(condition.type)} are not supported, only "value"`);
  }
  const value: unknown = condition.value;
  const describe = `${field} ${op} ${JSON.stringify(value)}`;
  const read = (record: Record<string, unknown>) => fieldValue(record, field);
  const positive = compilePositive(op, value, fail);
  const test: Predicate = NEGATED.has(op)
    ? (record) => !positive(read(record))
    : (record) => positive(read(record));
  return { test, describe };
}

const isComparator = (value: unknown): value is CrmComparator =>
  typeof value === 'string' && (CRM_COMPARATORS as readonly string[]).includes(value);

/*
 * A negated comparator is the exact complement of its positive one, so "not_equal X", "not_in", "not_between"
 * and "not_contains" all keep records whose field is empty — Zoho's "isn't" and "doesn't contain" list those
 * records too. Every positive comparator is false on an empty field, except "equal" to an empty value.
 */
const NEGATED: ReadonlySet<CrmComparator> = new Set(['not_equal', 'not_in', 'not_between', 'not_contains']);

type FieldTest = (value: unknown) => boolean;

function compilePositive(op: CrmComparator, value: unknown, fail: (problem: string) => never): FieldTest {
  switch (op) {
    case 'equal':
    case 'not_equal': {
      if (Array.isArray(value)) fail(`${op} needs a single value, got a list (use in / not_in)`);
      const operand = equalityOperand(value, op, fail);
      return operand === EMPTY ? isEmpty : anyValue((leaf) => leafEquals(leaf, operand));
    }
    case 'in':
    case 'not_in': {
      if (!Array.isArray(value) || value.length === 0) {
        fail(`${op} needs a non-empty list of values, got ${JSON.stringify(value)}`);
      }
      const operands = (value as unknown[]).map((item) => equalityOperand(item, op, fail));
      const wantsEmpty = operands.includes(EMPTY);
      const values = operands.filter((operand): operand is Operand => operand !== EMPTY);
      const matchesValue = anyValue((leaf) => values.some((operand) => leafEquals(leaf, operand)));
      return (field) => (wantsEmpty && isEmpty(field)) || matchesValue(field);
    }
    case 'greater_than':
    case 'greater_equal':
    case 'less_than':
    case 'less_equal': {
      const bound = orderedOperand(value, op, fail);
      const accept = ORDER_TESTS[op];
      return anyValue((leaf) => {
        const sign = compareLeaf(leaf, bound);
        return sign !== undefined && accept(sign);
      });
    }
    case 'between':
    case 'not_between': {
      if (!Array.isArray(value) || value.length !== 2) {
        fail(`${op} needs a [low, high] pair, got ${JSON.stringify(value)}`);
      }
      const [low, high] = (value as unknown[]).map((item) => orderedOperand(item, op, fail)) as [
        Bound,
        Bound,
      ];
      if (low.kind !== high.kind) fail(`${op} bounds must both be numbers or both be dates`);
      if (boundOrder(low, high) > 0)
        fail(`${op} low bound ${low.display} is above high bound ${high.display}`);
      return anyValue((leaf) => {
        const fromLow = compareLeaf(leaf, low);
        const toHigh = compareLeaf(leaf, high);
        return fromLow !== undefined && toHigh !== undefined && fromLow >= 0 && toHigh <= 0;
      });
    }
    case 'contains':
    case 'not_contains':
    case 'starts_with':
    case 'ends_with': {
      if (typeof value !== 'string' && typeof value !== 'number') {
        fail(`${op} needs text, got ${JSON.stringify(value)}`);
      }
      const needle = normText(String(value));
      if (needle === '') fail(`${op} needs non-empty text`);
      if (isPlaceholder(needle)) fail(`${op} does not take the placeholder ${JSON.stringify(value)}`);
      const found = TEXT_TESTS[op];
      return anyValue((leaf) => {
        const text = leafText(leaf);
        return text !== undefined && found(text, needle);
      });
    }
  }
}

const ORDER_TESTS: Record<
  'greater_than' | 'greater_equal' | 'less_than' | 'less_equal',
  (sign: number) => boolean
> = {
  greater_than: (sign) => sign > 0,
  greater_equal: (sign) => sign >= 0,
  less_than: (sign) => sign < 0,
  less_equal: (sign) => sign <= 0,
};

const TEXT_TESTS: Record<
  'contains' | 'not_contains' | 'starts_with' | 'ends_with',
  (text: string, needle: string) => boolean
> = {
  contains: (text, needle) => text.includes(needle),
  not_contains: (text, needle) => text.includes(needle),
  starts_with: (text, needle) => text.startsWith(needle),
  ends_with: (text, needle) => text.endsWith(needle),
};

/** Runs a test on a field's value, or on each value of a multi-value field; an empty field never passes. */
function anyValue(test: FieldTest): FieldTest {
  return (field) => {
    if (isEmpty(field)) return false;
    if (Array.isArray(field)) return field.some((item) => !isEmpty(item) && test(item));
    return test(field);
  };
}

// ---------------------------------------------------------------------------------------------------------
// Operands

/** "The field is empty": a `null` criterion value, Zoho's `${EMPTY}`, or blank text. */
const EMPTY = Symbol('empty');

/** Zoho writes "the field is empty" as this placeholder; other `${…}` placeholders are refused, not guessed. */
const EMPTY_PLACEHOLDER = '${empty}';
const isPlaceholder = (normalised: string) => normalised.startsWith('${') && normalised.endsWith('}');

type Operand =
  | {
      kind: 'text';
      text: string;
      raw: string;
      number?: number;
      boolean?: boolean;
      time?: Temporal;
      id: boolean;
    }
  | { kind: 'number'; number: number }
  | { kind: 'boolean'; boolean: boolean }
  | { kind: 'ref'; id?: string; name?: string };

/*
 * A text criterion made only of digits is read as a record id (Zoho's ids are numeric strings) when compared
 * with a lookup field; any other text is compared with the lookup's name.
 */
const ID_LIKE = /^\d+$/;

function equalityOperand(
  value: unknown,
  op: CrmComparator,
  fail: (problem: string) => never,
): Operand | typeof EMPTY {
  if (value === null || value === undefined) return EMPTY;
  if (typeof value === 'boolean') return { kind: 'boolean', boolean: value };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(`${op} needs a finite number, got ${value}`);
    return { kind: 'number', number: value };
  }
  if (typeof value === 'string') {
    const text = normText(value);
    // Blank text means "empty" too: Zoho stores an empty field as null, never as "".
    if (text === '' || text === EMPTY_PLACEHOLDER) return EMPTY;
    if (isPlaceholder(text))
      fail(`the placeholder ${JSON.stringify(value)} is not supported (only \${EMPTY})`);
    const raw = value.trim();
    const operand: Operand = { kind: 'text', text, raw, id: ID_LIKE.test(raw) };
    if (NUMERIC.test(raw)) operand.number = Number(raw);
    if (text === 'true' || text === 'false') operand.boolean = text === 'true';
    const time = criterionTemporal(raw, op, fail);
    if (time !== undefined) operand.time = time;
    return operand;
  }
  if (typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    const id = Object.hasOwn(record, 'id') ? record.id : undefined;
    const name = Object.hasOwn(record, 'name') ? record.name : undefined;
    if ((typeof id === 'string' && id.trim() !== '') || typeof id === 'number') {
      return { kind: 'ref', id: String(id).trim() };
    }
    if (typeof name === 'string' && name.trim() !== '') return { kind: 'ref', name: normText(name) };
    fail(`${op} needs a lookup value with an id or a name, got ${JSON.stringify(value)}`);
  }
  return fail(`${op} cannot compare with ${JSON.stringify(value)}`);
}

function leafEquals(leaf: unknown, operand: Operand): boolean {
  if (isLookup(leaf)) {
    switch (operand.kind) {
      case 'ref':
        return operand.id !== undefined ? refId(leaf) === operand.id : refName(leaf) === operand.name;
      case 'text':
        return operand.id ? refId(leaf) === operand.raw : refName(leaf) === operand.text;
      case 'number':
        return Number.isInteger(operand.number) && refId(leaf) === String(operand.number);
      case 'boolean':
        return false;
    }
  }
  if (typeof leaf === 'number') {
    return (operand.kind === 'number' || operand.kind === 'text') && operand.number === leaf;
  }
  if (typeof leaf === 'boolean') {
    return (operand.kind === 'boolean' || operand.kind === 'text') && operand.boolean === leaf;
  }
  if (typeof leaf !== 'string') return false;
  switch (operand.kind) {
    case 'text': {
      if (operand.time !== undefined) {
        const time = parseTemporal(leaf.trim());
        if (time !== undefined) return compareTemporal(time, operand.time) === 0;
      }
      return normText(leaf) === operand.text;
    }
    case 'number': {
      const raw = leaf.trim();
      return NUMERIC.test(raw) && Number(raw) === operand.number;
    }
    case 'boolean':
      return normText(leaf) === String(operand.boolean);
    case 'ref':
      return operand.name !== undefined ? normText(leaf) === operand.name : leaf.trim() === operand.id;
  }
}

type Bound =
  { kind: 'number'; number: number; display: string } | { kind: 'time'; time: Temporal; display: string };

function orderedOperand(value: unknown, op: CrmComparator, fail: (problem: string) => never): Bound {
  if (typeof value === 'number' && Number.isFinite(value)) {
    return { kind: 'number', number: value, display: String(value) };
  }
  if (typeof value === 'string') {
    const raw = value.trim();
    if (NUMERIC.test(raw)) return { kind: 'number', number: Number(raw), display: raw };
    const time = criterionTemporal(raw, op, fail);
    if (time !== undefined) return { kind: 'time', time, display: raw };
  }
  return fail(`${op} needs a number or an ISO date / date-time, got ${JSON.stringify(value)}`);
}

function boundOrder(low: Bound, high: Bound): number {
  if (low.kind === 'number' && high.kind === 'number') return Math.sign(low.number - high.number);
  if (low.kind === 'time' && high.kind === 'time') return compareTemporal(low.time, high.time);
  return 0;
}

/** The sign of `leaf - bound`, or undefined when the leaf is not comparable with the bound (no match). */
function compareLeaf(leaf: unknown, bound: Bound): number | undefined {
  if (bound.kind === 'number') {
    if (typeof leaf === 'number') return Math.sign(leaf - bound.number);
    if (typeof leaf === 'string' && NUMERIC.test(leaf.trim()))
      return Math.sign(Number(leaf.trim()) - bound.number);
    return undefined;
  }
  if (typeof leaf !== 'string') return undefined;
  const time = parseTemporal(leaf.trim());
  return time === undefined ? undefined : compareTemporal(time, bound.time);
}

function leafText(leaf: unknown): string | undefined {
  if (typeof leaf === 'string') return normText(leaf);
  if (typeof leaf === 'number') return String(leaf);
  if (isLookup(leaf)) return refName(leaf);
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Record values

function fieldValue(record: Record<string, unknown>, apiName: string): unknown {
  // Own properties only: a criterion on "constructor" or "__proto__" must not reach Object.prototype.
  return Object.hasOwn(record, apiName) ? record[apiName] : undefined;
}

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.every(isEmpty);
  return false;
}

function isLookup(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function refId(value: unknown): string | undefined {
  if (!isLookup(value) || !Object.hasOwn(value, 'id')) return undefined;
  const id = value.id;
  if (typeof id === 'string') return id.trim();
  if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  return undefined;
}

function refName(value: Record<string, unknown>): string | undefined {
  const name = Object.hasOwn(value, 'name') ? value.name : undefined;
  return typeof name === 'string' ? normText(name) : undefined;
}

const normText = (text: string) => text.trim().toLowerCase();

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

// ---------------------------------------------------------------------------------------------------------
// Dates

/**
 * A calendar day as written (`YYYY-MM-DD`, the day of a timestamp in its own offset), and the instant when the
 * value is a date-time. Two date-times compare as instants; when either side is a bare date they compare by
 * day, so `Created_Time between ["2024-05-01", "2024-05-31"]` keeps all of 31 May in the CRM's own offset.
 */
interface Temporal {
  day: string;
  instant?: number;
}

const TIMESTAMP_PARTS =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):?(\d{2}))$/;

/** A strict ISO date or date-time (validation.ts's formats), or undefined: never Date's lenient parsing. */
function parseTemporal(text: string): Temporal | undefined {
  if (IsoDateSchema.safeParse(text).success) return { day: text };
  if (!TimestampSchema.safeParse(text).success) return undefined;
  const parts = TIMESTAMP_PARTS.exec(text);
  if (parts === null) return undefined;
  const [, y, mo, d, h, mi, s, fraction, sign, offsetH, offsetM] = parts;
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), Number((fraction ?? '0').padEnd(3, '0').slice(0, 3)));
  const offsetMinutes =
    sign === undefined ? 0 : (Number(offsetH) * 60 + Number(offsetM)) * (sign === '-' ? -1 : 1);
  return { day: text.slice(0, 10), instant: date.getTime() - offsetMinutes * 60_000 };
}

/** A criterion that looks like a date must be a valid one: "2024-02-30" is an error, not a silent no-match. */
function criterionTemporal(
  raw: string,
  op: CrmComparator,
  fail: (problem: string) => never,
): Temporal | undefined {
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw)) return undefined;
  const time = parseTemporal(raw);
  if (time === undefined) {
    fail(`${op}: ${JSON.stringify(raw)} is not a valid ISO date (YYYY-MM-DD) or date-time with a time zone`);
  }
  return time;
}

function compareTemporal(a: Temporal, b: Temporal): number {
  if (a.instant !== undefined && b.instant !== undefined) return Math.sign(a.instant - b.instant);
  return a.day < b.day ? -1 : a.day > b.day ? 1 : 0;
}
