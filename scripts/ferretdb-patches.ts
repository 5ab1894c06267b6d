import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * The changes we make to FerretDB v1.24.2's source before building it. README ("FerretDB, patched at build")
 * says what each fixes and how it was measured; the patch level names the build (and its cache folder).
 *
 * - cbs.1: `_id` conditions answered from the `_id` index. Unpatched, the WHERE clause named the field
 *   `_ferretdb_sjson->'$._id'` while the unique index is on `_ferretdb_sjson->"_id"` (SQLite uses an
 *   expression index only for the same expression), and only a filter that is exactly `{_id: <string>}`
 *   reached SQL at all.
 * - cbs.2, cbs.3: conditions on the leading fields of any index (scripts/ferretdb/cbs_pushdown.go).
 * - cbs.4: stored strings and dates decoded from their JSON text (scripts/ferretdb/cbs_sjson.go).
 * - cbs.5: in-memory document and array iterators not leak-tracked.
 *
 * The handler applies the whole filter to what the backend returns in every case (pushdown can be switched
 * off), so what is handed to SQL changes which rows are read, never which match.
 */
export const FERRETDB_PATCH_LEVEL = 'cbs.5';

/**
 * The Go files we add, by the package folder they go into (a copy of `scripts/ferretdb/` sits beside the
 * compiled script: `npm run build`).
 */
const ADDED_FILES: readonly { file: string; into: string }[] = [
  { file: 'cbs_pushdown.go', into: 'internal/backends/sqlite' },
  { file: 'cbs_sjson.go', into: 'internal/handler/sjson' },
];

interface SourcePatch {
  file: string;
  from: string;
  to: string;
}

/** The `_id` pushdown as Query and Explain each spell it; Explain also sets `filterPushdown` on a match. */
const idClause = (...onMatch: string[]) =>
  [
    '\tif params.Filter.Len() == 1 {',
    '\t\tv, _ := params.Filter.Get("_id")',
    '\t\tswitch v.(type) {',
    '\t\tcase string, types.ObjectID:',
    ...onMatch.map((line) => `\t\t\t${line}`),
    '\t\t\twhereClause = fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn)',
    '\t\t\targs = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}',
    '\t\t}',
    '\t}',
  ].join('\n');

/** The start of an sjson type's UnmarshalJSON, up to its null check. */
const nullCheck = (receiver: string) =>
  `func (${receiver}) UnmarshalJSON(data []byte) error {\n\tif bytes.Equal(data, []byte("null")) {\n\t\tpanic("null data")\n\t}\n`;

const PATCHES: readonly SourcePatch[] = [
  {
    // The same expression as the unique index on _id (registry.go builds index columns as `col->"field"`).
    file: 'internal/backends/sqlite/metadata/metadata.go',
    from: `IDColumn = DefaultColumn + "->'$._id'"`,
    to: `IDColumn = DefaultColumn + "->\\"_id\\""`,
  },
  {
    file: 'internal/backends/sqlite/collection.go',
    from: idClause(),
    to: '\twhereClause, args = pushedFilterClause(params.Filter, meta.Settings.Indexes)',
  },
  {
    file: 'internal/backends/sqlite/collection.go',
    from: idClause('filterPushdown = true'),
    to: '\twhereClause, args = pushedFilterClause(params.Filter, meta.Settings.Indexes)\n\tfilterPushdown = whereClause != ""',
  },
  // Strings and dates without escapes or exponents are read from their JSON text (cbs_sjson.go).
  {
    file: 'internal/handler/sjson/string.go',
    from: nullCheck('str *stringType'),
    to: `${nullCheck('str *stringType')}\n\tif s, ok := plainJSONString(data); ok {\n\t\t*str = stringType(s)\n\t\treturn nil\n\t}\n`,
  },
  {
    file: 'internal/handler/sjson/datetime.go',
    from: nullCheck('dt *dateTimeType'),
    to: `${nullCheck('dt *dateTimeType')}\n\tif ms, ok := plainJSONInt(data); ok {\n\t\t*dt = dateTimeType(time.UnixMilli(ms))\n\t\treturn nil\n\t}\n`,
  },
  // An in-memory document's or array's iterator is not tracked for leaks: the tracker records a stack and
  // sets a finalizer for each, 7% of the server's CPU reading documents (its pprof profile), and more in GC.
  ...['internal/types/document_iterator.go', 'internal/types/array_iterator.go'].flatMap((file) => [
    { file, from: '\tresource.Track(iter, iter.token)\n', to: '' },
    { file, from: '\tresource.Untrack(iter, iter.token)\n', to: '' },
  ]),
];

/** Applies the patches to a copy of FerretDB's module source; throws naming the file whose text differs. */
export async function patchFerretDbSource(src: string): Promise<void> {
  const edited = new Map<string, string>();
  for (const patch of PATCHES) {
    const file = path.join(src, patch.file);
    const text = edited.get(file) ?? (await fs.readFile(file, 'utf8'));
    const at = text.indexOf(patch.from);
    if (at < 0 || text.indexOf(patch.from, at + 1) >= 0)
      throw new Error(`FerretDB source patch: ${patch.file} does not hold the expected text once`);
    edited.set(file, text.slice(0, at) + patch.to + text.slice(at + patch.from.length));
  }
  for (const added of ADDED_FILES)
    edited.set(
      path.join(src, added.into, added.file),
      await fs.readFile(path.join(__dirname, 'ferretdb', added.file), 'utf8'),
    );
  for (const [file, text] of edited) await fs.writeFile(file, text);
}
