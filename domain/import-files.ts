import { ListResponseError, type FieldProblem } from './validation';

/*
 * What an import file may hold, read without I/O: every shape the two APIs answer with for a module (a list, a
 * single record, a bare record, a JSON array, NDJSON or pretty-printed records one after another), and the ids
 * Zoho's documentation prints as JSON numbers taken as the strings real responses carry.
 */

/** How the records of a file were given. */
export type ImportFormat =
  | 'crm' // {"data": [...]}: a CRM list, or a single CRM record (the CRM answers one record as a list of one)
  | 'books' // {"code": 0, "<module>": [...]}: a Books list (the code may be left out)
  | 'books_record' // {"code": 0, "<singular>": {...}}: a single Books record (GET /invoices/{id})
  | 'object' // one record object, as it is
  | 'array' // a JSON array of records
  | 'ndjson'; // records one after another: one per line, or pretty-printed

/** Where a module's records are in its API responses. */
export interface ImportShape {
  system: 'crm' | 'books';
  /** The module as a user names it in messages (`Contacts`, `invoices`). */
  module: string;
  /** Books: the list key (`invoices`); the CRM lists under `data`. */
  listKey?: string;
  /** Books: the key of a single-record response (`invoice`). */
  recordKey?: string;
  /** The record's own id field (`id`, `invoice_id`). */
  idKey: string;
}

export interface ImportFile {
  format: ImportFormat;
  records: unknown[];
  /** CRM `info.more_records` / Books `page_context.has_more_page`: the file is one page of several. */
  hasMore: boolean;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/** The shapes accepted for a module, for a message about a file that has none of them. */
export function shapesLookedFor(shape: ImportShape): string {
  const envelopes =
    shape.system === 'crm'
      ? ['a CRM response {"data": [...]} (a list, or one record)']
      : [
          `a Books list {"code": 0, "${shape.listKey}": [...]}`,
          `a Books single-record response {"code": 0, "${shape.recordKey}": {...}}`,
        ];
  return [
    ...envelopes,
    `one record object with its "${shape.idKey}"`,
    'a JSON array of records',
    'NDJSON (one record per line, or pretty-printed records one after another)',
  ].join(', ');
}

/**
 * The records of an import file for one module, and how they were given. Records are returned unchecked (a
 * non-object element of an array or list is left for validation to refuse). Throws ListResponseError for a
 * file that is none of the accepted shapes (the message names them), another module's or system's response,
 * or an API error body. An empty file gives no records.
 */
export function readImportFile(text: string, shape: ImportShape): ImportFile {
  if (text.trim() === '') return { format: 'ndjson', records: [], hasMore: false };
  let whole: unknown;
  try {
    whole = JSON.parse(text);
  } catch {
    return { format: 'ndjson', records: readJsonSequence(text, shape), hasMore: false };
  }
  if (Array.isArray(whole)) return { format: 'array', records: whole, hasMore: false };
  if (!isObject(whole))
    throw new ListResponseError(`the file holds ${kindOf(whole)}; expected ${shapesLookedFor(shape)}`);
  return readEnvelope(whole, shape);
}

function readEnvelope(body: Record<string, unknown>, shape: ImportShape): ImportFile {
  const message = typeof body.message === 'string' ? body.message : 'no message';
  if (body.status === 'error')
    throw new ListResponseError(`CRM API error ${JSON.stringify(body.code)}: ${message}`);
  if ('code' in body && body.code !== 0)
    throw new ListResponseError(`Books API error ${JSON.stringify(body.code)}: ${message}`);

  if ('data' in body && !(shape.idKey in body)) {
    if (shape.system === 'books')
      throw new ListResponseError(`it is a CRM response {"data": [...]}, not a Books one`);
    if (!Array.isArray(body.data))
      throw new ListResponseError(`CRM response: "data" must be an array, got ${kindOf(body.data)}`);
    const info = isObject(body.info) ? body.info : {};
    return { format: 'crm', records: body.data, hasMore: info.more_records === true };
  }
  const booksLike = 'code' in body || 'page_context' in body;
  if (shape.system === 'crm' && booksLike)
    throw new ListResponseError(`it is a Books response {"code": 0, ...}, not a CRM one`);

  if (shape.system === 'books' && shape.listKey !== undefined && shape.listKey in body) {
    const records = body[shape.listKey];
    if (!Array.isArray(records))
      throw new ListResponseError(
        `Books response: "${shape.listKey}" must be an array, got ${kindOf(records)}`,
      );
    const context = isObject(body.page_context) ? body.page_context : {};
    return { format: 'books', records, hasMore: context.has_more_page === true };
  }
  if (shape.system === 'books' && shape.recordKey !== undefined && isObject(body[shape.recordKey]))
    return { format: 'books_record', records: [body[shape.recordKey]], hasMore: false };

  if (shape.idKey in body) return { format: 'object', records: [body], hasMore: false };

  const held = Object.keys(body).filter((key) => Array.isArray(body[key]) || isObject(body[key]));
  const holds = held.length > 0 ? ` (it holds ${held.map((k) => `"${k}"`).join(', ')})` : '';
  if (booksLike)
    throw new ListResponseError(
      `a Books response with no "${shape.listKey}" array and no "${shape.recordKey}" object${holds}: ` +
        `not ${shape.module}`,
    );
  throw new ListResponseError(
    `one JSON object that is no ${shape.module} response nor one ${shape.module} record (no "${shape.idKey}")` +
      `${holds}; expected ${shapesLookedFor(shape)}`,
  );
}

/**
 * JSON objects one after another, each a record: NDJSON (one a line) or pretty-printed objects, as `jq`
 * prints a stream. Throws ListResponseError naming the line where a value is not JSON or not an object.
 */
function readJsonSequence(text: string, shape: ImportShape): unknown[] {
  const records: unknown[] = [];
  let line = 1;
  let i = 0;
  const notJson = (at: number, why: string) =>
    new ListResponseError(
      `neither one JSON document nor NDJSON: line ${at} is not JSON (${why}); expected ${shapesLookedFor(shape)}`,
    );
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') line++;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const startLine = line;
    if (c !== '{' && c !== '[') {
      const end = text.indexOf('\n', i);
      const rest = text.slice(i, end === -1 ? text.length : end);
      let scalar: unknown;
      try {
        scalar = JSON.parse(rest);
      } catch (err) {
        throw notJson(startLine, (err as Error).message);
      }
      throw new ListResponseError(
        `NDJSON line ${startLine} is ${kindOf(scalar)}, expected one record object`,
      );
    }
    const end = endOfValue(text, i);
    if (end === undefined) throw notJson(startLine, 'the value starting there is not complete');
    const slice = text.slice(i, end);
    let value: unknown;
    try {
      value = JSON.parse(slice);
    } catch (err) {
      throw notJson(startLine, (err as Error).message);
    }
    if (!isObject(value))
      throw new ListResponseError(`NDJSON line ${startLine} is ${kindOf(value)}, expected one record object`);
    records.push(value);
    for (let k = i; k < end; k++) if (text[k] === '\n') line++;
    i = end;
  }
  return records;
}

/** The index just past the object or array starting at `start` (strings and escapes respected), if it ends. */
function endOfValue(text: string, start: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Ids printed as numbers

/** A field holding an id: `id`, `contact_id`, `Books_Id`, … */
const ID_FIELD = /(^|_)id$/i;

/**
 * The record with every id given as a JSON number (Zoho's documentation prints `"contact_id":
 * 460000000026049`) turned into its decimal string, as real responses carry ids, at any depth. A number that
 * is no safe integer cannot be the exact id (JSON readers keep 53 bits: 4150868000000301002 reads as
 * 4150868000000301000) and is left as it is, with a problem saying why. Pure.
 */
export function idsAsText(record: Record<string, unknown>): {
  record: Record<string, unknown>;
  problems: FieldProblem[];
} {
  const problems: FieldProblem[] = [];
  const walk = (value: unknown, path: string, key: string | undefined): unknown => {
    if (typeof value === 'number' && key !== undefined && ID_FIELD.test(key)) {
      if (Number.isSafeInteger(value)) return String(value);
      problems.push({ field: path, reason: unsafeIdReason(value) });
      return value;
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, `${path}.${i}`, undefined));
    if (!isObject(value)) return value;
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, walk(v, path === '' ? k : `${path}.${k}`, k)]),
    );
  };
  return { record: walk(record, '', undefined) as Record<string, unknown>, problems };
}

function unsafeIdReason(value: number): string {
  if (!Number.isInteger(value)) return `the id ${value} is not a whole number`;
  return (
    `the id is a JSON number beyond 2^53 (read as ${String(value)}): its last digits cannot be read exactly, ` +
    `so it is not taken; give the id as a string`
  );
}
