/** A plain text table for CLI output: a header, a rule, one line per row; columns default to the first row's keys. */
export function table(rows: readonly Record<string, unknown>[], columns?: readonly string[]): string {
  if (rows.length === 0) return '(none)';
  const cols = columns ?? Object.keys(rows[0] ?? {});
  const cell = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [
    line([...cols]),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(cols.map((c) => cell(r[c])))),
  ].join('\n');
}

/** Labelled lines (`label  value`), the labels padded to one width; for one record's fields. */
export function fields(entries: readonly (readonly [string, unknown])[]): string {
  const width = Math.max(0, ...entries.map(([label]) => label.length));
  return entries
    .map(([label, value]) =>
      `${label.padEnd(width)}  ${value === undefined || value === null ? '' : String(value)}`.trimEnd(),
    )
    .join('\n');
}
