import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The layer rules of eslint.config.mjs (ARCHITECTURE §2's dependency direction) bite: each folder's files
 * are refused what the folder may not import and allowed what it may, and every source file has the rule.
 * The snippets are linted as if they were files in those folders (they are not written anywhere).
 */

const ROOT = path.join(__dirname, '..', '..');
const BOUNDARY_RULE = '@typescript-eslint/no-restricted-imports';

type Probe = { filePath: string; code: string };
type Verdicts = { messages: { ruleId: string | null; message: string }[][]; unruled: string[] };

// ESLint runs in a child node process: it loads eslint.config.mjs with a dynamic import(), which hangs inside
// Jest's module sandbox. Only the boundary rule runs, without type information: a snippet is not a file of
// the TypeScript project (the project service would refuse to parse it), and no other rule is under test.
const LINT_SCRIPT = `
import { ESLint } from 'eslint';
const rule = ${JSON.stringify(BOUNDARY_RULE)};
const { probes, files } = JSON.parse(await new Response(process.stdin).text());
const eslint = new ESLint({
  overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
  ruleFilter: ({ ruleId }) => ruleId === rule,
});
const messages = [];
for (const { filePath, code } of probes) {
  const [result] = await eslint.lintText(code, { filePath });
  messages.push(result.messages.map(({ ruleId, message }) => ({ ruleId, message })));
}
const unruled = [];
for (const file of files) {
  const setting = (await eslint.calculateConfigForFile(file))?.rules?.[rule];
  if (!Array.isArray(setting) || setting[0] !== 2) unruled.push(file);
}
process.stdout.write(JSON.stringify({ messages, unruled }));
`;

/** Lints every probe, and names the `files` that lack the boundary rule, in one ESLint process. */
function lint(probes: Probe[], files: string[]): Verdicts {
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', LINT_SCRIPT], {
    cwd: ROOT,
    input: JSON.stringify({
      probes: probes.map((p) => ({ ...p, filePath: path.join(ROOT, p.filePath) })),
      files: files.map((f) => path.join(ROOT, f)),
    }),
    encoding: 'utf8',
  });
  return JSON.parse(output) as Verdicts;
}

/** The boundary messages of one probe; any other rule speaking means the probe itself is wrong. */
function boundaryMessages(verdicts: Verdicts, index: number, filePath: string): string[] {
  const messages = verdicts.messages[index] ?? [];
  const other = messages.filter((m) => m.ruleId !== BOUNDARY_RULE);
  if (other.length > 0) throw new Error(`${filePath}: ${other.map((m) => m.message).join('; ')}`);
  return messages.map((m) => m.message);
}

/** A value import that is used, so that no other rule has anything to say about it. */
const valueImport = (from: string) => `import * as m from '${from}';\nexport const used = m;\n`;
const typeImport = (from: string) => `import type * as m from '${from}';\nexport type Used = typeof m;\n`;

type Case = [file: string, from: string, kind?: 'type'];

const REFUSED: Case[] = [
  ['domain/lint-probe.ts', '../stores/crm-store'],
  ['domain/lint-probe.ts', 'mongodb'],
  ['domain/lint-probe.ts', '@temporalio/workflow'],
  ['domain/lint-probe.ts', 'node:fs'],
  ['domain/lint-probe.ts', 'crypto'],
  ['domain/sync/lint-probe.ts', '../../cli/data/seed'],
  ['stores/lint-probe.ts', '../activities'],
  ['stores/lint-probe.ts', '../activities/sync'],
  ['stores/links/lint-probe.ts', '../../activities'],
  ['stores/lint-probe.ts', '@temporalio/client'],
  ['activities/lint-probe.ts', '../workers/deps'],
  ['activities/lint-probe.ts', '../workflows/messages'],
  ['activities/lint-probe.ts', 'mongodb'],
  ['workflows/lint-probe.ts', 'mongodb'],
  ['workflows/lint-probe.ts', 'mongodb', 'type'],
  ['workflows/lint-probe.ts', '../activities'],
  ['workflows/lint-probe.ts', '../stores/crm-store'],
  ['workflows/lint-probe.ts', '@temporalio/activity'],
  ['workflows/lint-probe.ts', 'node:crypto'],
  ['workers/lint-probe.ts', '../cli/main'],
  ['workers/lint-probe.ts', '../client/temporal'],
  ['workers/lint-probe.ts', '../workflows'],
  ['api/lint-probe.ts', '../client/temporal'],
  ['api/lint-probe.ts', '../workers/deps'],
  ['api/lint-probe.ts', '../activities'],
  ['api/lint-probe.ts', '../workflows/integration'],
  ['api/lint-probe.ts', 'mongodb'],
  ['client/lint-probe.ts', '../stores/crm-store'],
  ['client/lint-probe.ts', '../stores/crm-store', 'type'],
  ['client/lint-probe.ts', '../api/operations'],
  ['client/lint-probe.ts', '../workflows/integration'],
  ['client/lint-probe.ts', '../cli/format'],
  ['client/lint-probe.ts', 'mongodb'],
  ['cli/lint-probe.ts', '../activities'],
  ['cli/lint-probe.ts', '../client/temporal'],
  ['cli/data/lint-probe.ts', '../../client/sync-client'],
  ['cli/lint-probe.ts', '../test/helpers'],
  ['cli/lint-probe.ts', '../workflows/sync-run'],
  ['scripts/lint-probe.ts', '../workers/config'],
  ['scripts/lint-probe.ts', '../cli/main'],
  ['scripts/lint-probe.ts', '../stores/crm-store'],
  ['bench/lint-probe.ts', '../test/helpers'],
  ['bench/lint-probe.ts', '../client/temporal'],
  ['bench/lint-probe.ts', '../activities'],
  ['test/integration/lint-probe.ts', '../../dist/cli/main'],
  ['test/unit/lint-probe.ts', 'mongodb'],
  ['test/unit/lint-probe.ts', '@temporalio/testing'],
  ['test/unit/lint-probe.ts', '../../workers/deps'],
  ['test/workflow/lint-probe.ts', 'mongodb'],
  ['test/workflow/lint-probe.ts', '../../scripts/services'],
];

const ALLOWED: Case[] = [
  ['domain/lint-probe.ts', './errors'],
  ['domain/sync/lint-probe.ts', '../errors'],
  ['domain/lint-probe.ts', 'zod'],
  ['stores/lint-probe.ts', '../domain/hash'],
  ['stores/lint-probe.ts', 'mongodb'],
  ['activities/lint-probe.ts', '../stores/crm-store'],
  ['activities/lint-probe.ts', '@temporalio/activity'],
  ['workflows/lint-probe.ts', '../activities', 'type'],
  ['workflows/lint-probe.ts', '../domain/ids'],
  ['workflows/lint-probe.ts', '@temporalio/workflow'],
  ['workers/lint-probe.ts', '../activities'],
  ['workers/lint-probe.ts', '../api/operations'],
  ['workers/lint-probe.ts', '../client'],
  ['workers/lint-probe.ts', '@temporalio/client'],
  ['api/lint-probe.ts', '../client'],
  ['api/lint-probe.ts', '../stores/crm-store'],
  ['api/lint-probe.ts', '../workflows/messages'],
  ['client/lint-probe.ts', '../api/types'],
  ['client/lint-probe.ts', '../workflows/messages'],
  ['client/lint-probe.ts', '../workflows/integration', 'type'],
  ['client/lint-probe.ts', '@temporalio/client'],
  ['client/lint-probe.ts', './temporal'],
  ['cli/lint-probe.ts', '../client'],
  ['cli/lint-probe.ts', '../workers/service'],
  ['cli/lint-probe.ts', '../stores/crm-store'],
  ['cli/lint-probe.ts', '../workflows/messages'],
  ['cli/data/lint-probe.ts', './seed'],
  ['scripts/lint-probe.ts', '../domain/config'],
  ['scripts/lint-probe.ts', 'mongodb'],
  ['bench/lint-probe.ts', '../cli/data/seed'],
  ['bench/lint-probe.ts', '../workers/service'],
  ['test/integration/lint-probe.ts', '../../workers/deps'],
  ['test/integration/lint-probe.ts', '../../client/temporal'],
  ['test/integration/lint-probe.ts', 'mongodb'],
  ['test/workflow/lint-probe.ts', '../../activities'],
  ['test/unit/lint-probe.ts', '../../domain/hash'],
];

const codeOf = (from: string, kind?: 'type') => (kind === 'type' ? typeImport(from) : valueImport(from));

/** Every .ts file of the folders tsconfig.json compiles: all of them must carry the boundary rule. */
function sourceFiles(): string[] {
  const tsconfig = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')) as {
    include: string[];
  };
  return tsconfig.include.flatMap((folder) =>
    readdirSync(path.join(ROOT, folder), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.join(folder, f)),
  );
}

const toProbe = ([filePath, from, kind]: Case): Probe => ({ filePath, code: codeOf(from, kind) });

describe('lint boundaries (eslint.config.mjs)', () => {
  const files = sourceFiles();
  let verdicts: Verdicts;

  beforeAll(() => {
    verdicts = lint([...REFUSED, ...ALLOWED].map(toProbe), files);
  });

  // Object rows: array rows of uneven length would make Jest take the last parameter for a `done` callback.
  const rows = (cases: Case[], first: number) =>
    cases.map(([file, from, kind], i) => ({ file, from, kind: kind ?? 'value', index: first + i }));

  it.each(rows(REFUSED, 0))('refuses in $file: $kind import of $from', ({ file, index }) => {
    expect(boundaryMessages(verdicts, index, file)).toHaveLength(1);
  });

  it.each(rows(ALLOWED, REFUSED.length))('allows in $file: $kind import of $from', ({ file, index }) => {
    expect(boundaryMessages(verdicts, index, file)).toEqual([]);
  });

  it('gives every source file of every folder the boundary rule (no file is exempted)', () => {
    expect(new Set(files.map((f) => f.split(path.sep)[0])).size).toBeGreaterThanOrEqual(11);
    expect(verdicts.unruled).toEqual([]);
  });
});
