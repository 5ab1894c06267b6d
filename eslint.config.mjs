// Lint rules enforce the dependency direction of ARCHITECTURE §2, for every folder and without file exemptions:
// domain <- stores <- activities <- workers <- cli; workflows -> domain (+ `import type` of activities);
// client -> workflows/messages and types; api -> client, stores, domain. test/unit/lint-boundaries.test.ts
// proves each folder has its rule and that the rules bite.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** A package (or one of its subpaths) by name; `@temporalio/*` names the whole scope. */
const packages = (...names) => `^(?:${names.map((n) => n.replace('/*', '/[^/]+')).join('|')})(?:/.*)?$`;
// Node's builtins as a regex: a glob `domain` would also match this project's own `../domain/…` imports.
const NODE_BUILTINS = `^node:|${packages(...builtinModules.filter((m) => !m.startsWith('_')))}`;

// A relative import whose first folder after the `../` run is one of `folders`. Regexes rather than globs:
// a glob like `**/activities/**` misses the folder's index (`../activities`), and `**/client` would also
// refuse the `@temporalio/client` package.
const RELATIVE = '^(?:\\.\\.?/)+';
const folders = (...names) => `${RELATIVE}(?:${names.join('|')})(?:/.*)?$`;
/** The folder except one of its modules: its public contract (workflows/messages, api/types). */
const folderExcept = (name, kept) => `${RELATIVE}${name}(?:/(?!${kept}$).*)?$`;
/** What is inside client/ but its index: other folders use client/ through client/index.ts only. */
const CLIENT_INTERNALS = `${RELATIVE}client/.+$`;

/**
 * The no-restricted-imports rule of one folder: `rules` are `{regex, message, types?}`, where
 * `types: true` still allows `import type`. One call per folder: a later config for the same files would
 * replace this rule's options, not add to them.
 */
const restrict = (rules) => ({
  '@typescript-eslint/no-restricted-imports': [
    'error',
    {
      patterns: rules.map(({ regex, message, types = false }) => ({
        regex,
        message,
        allowTypeImports: types,
      })),
    },
  ],
});

/** A folder's rule: the folder's files, and what they may not import. */
const layer = (folder, rules) => ({ files: [`${folder}/**/*.ts`], rules: restrict(rules) });

/** Every folder above stores/: none of them may be imported by stores/ or domain/. */
const ABOVE_STORES = [
  'activities',
  'workflows',
  'workers',
  'api',
  'client',
  'cli',
  'scripts',
  'bench',
  'test',
];

/** What every test may not import; test/unit and test/workflow add their own below (a rule per file). */
const TESTS = [
  {
    regex: folders('dist', 'node_modules'),
    message: 'Tests import the sources and packages, never build output.',
  },
];

/** The rules of unit tests: no server packages among `serverPackages`, no production wiring. */
const unitTestRules = (serverPackages) => [
  ...TESTS,
  {
    regex: packages(...serverPackages),
    message:
      'Unit tests are pure and fast: real servers belong to test/integration, time-skipping to test/workflow.',
  },
  {
    regex: `${RELATIVE}(?:scripts/services|workers/(?:service|deps))$`,
    message: 'Unit tests start no servers and wire no production dependencies.',
  },
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'jest.config.js', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  layer('domain', [
    {
      regex: folders('stores', ...ABOVE_STORES),
      message: 'domain/ is pure and at the bottom: it imports no other folder.',
    },
    {
      regex: `${packages('mongodb', '@temporalio/*')}|${NODE_BUILTINS}`,
      message: 'domain/ is pure: no I/O, no Temporal.',
    },
  ]),
  layer('stores', [
    {
      regex: folders(...ABOVE_STORES),
      message: 'stores/ depends only on domain/ and mongodb.',
    },
    { regex: packages('@temporalio/*'), message: 'stores/ know nothing of Temporal.' },
  ]),
  layer('activities', [
    {
      regex: folders('workflows', 'workers', 'api', 'client', 'cli', 'scripts', 'bench', 'test'),
      message: 'activities/ use stores/ and domain/ only.',
    },
    { regex: packages('mongodb'), message: 'activities/ reach MongoDB through the repositories of stores/.' },
  ]),
  layer('workflows', [
    {
      regex: folders('stores', 'workers', 'api', 'client', 'cli', 'scripts', 'bench', 'test'),
      message: 'workflows/ are deterministic sandboxed code: domain/ and `import type` of activities only.',
    },
    {
      regex: folders('activities'),
      message: 'workflows/ call activities through proxies: `import type` only.',
      types: true,
    },
    {
      regex: `${packages('mongodb', '@temporalio/client', '@temporalio/worker', '@temporalio/activity')}|${NODE_BUILTINS}`,
      message: 'workflows/ run in the sandbox: no I/O, no client or worker packages.',
    },
  ]),
  layer('workers', [
    {
      regex: folders('cli', 'bench', 'test'),
      message: 'workers/ are the composition root under cli/: they compose stores, activities and api.',
    },
    { regex: CLIENT_INTERNALS, message: 'Use client/ through client/index.ts.' },
    {
      regex: folders('workflows'),
      message: 'workers/ load workflows by path (workflowsPath), never as modules.',
      types: true,
    },
  ]),
  layer('api', [
    {
      regex: folders('activities', 'workers', 'cli', 'scripts', 'bench', 'test'),
      message: 'api/ composes the Temporal client and the stores; it never runs activities or workers.',
    },
    { regex: CLIENT_INTERNALS, message: 'api/ uses client/ through its public surface, client/index.ts.' },
    {
      regex: folderExcept('workflows', 'messages'),
      message: 'api/ talks to workflows through workflows/messages (and `import type` of the rest).',
      types: true,
    },
    { regex: packages('mongodb'), message: 'api/ reaches MongoDB through the repositories of stores/.' },
  ]),
  layer('client', [
    {
      regex: folders('stores', 'activities', 'workers', 'cli', 'scripts', 'bench', 'test'),
      message: 'client/ is what a service imports: it talks to Temporal and the HTTP API, not to the stores.',
    },
    {
      regex: folderExcept('api', 'types'),
      message: 'client/ shares only the operations’ types with api/ (api/types.ts).',
    },
    {
      regex: folderExcept('workflows', 'messages'),
      message: 'client/ uses workflows/messages and `import type` of the workflows.',
      types: true,
    },
    {
      regex: packages('mongodb', '@temporalio/worker'),
      message: 'client/ neither opens MongoDB nor runs a worker.',
    },
  ]),
  layer('cli', [
    {
      regex: folders('activities', 'bench', 'test'),
      message: 'cli/ composes workers/, api/, client/ and the stores; activities run in the worker only.',
    },
    { regex: CLIENT_INTERNALS, message: 'Use client/ through client/index.ts.' },
    {
      regex: folderExcept('workflows', 'messages'),
      message: 'cli/ talks to workflows through workflows/messages (and `import type` of the rest).',
      types: true,
    },
  ]),
  layer('scripts', [
    {
      regex: folders('stores', 'activities', 'workflows', 'workers', 'api', 'client', 'cli', 'bench', 'test'),
      message: 'scripts/ provision the local servers: they use domain/ only, and everything above uses them.',
    },
  ]),
  layer('bench', [
    {
      regex: folders('activities', 'test'),
      message: 'bench/ drives the system as a user would: through the worker.',
    },
    { regex: CLIENT_INTERNALS, message: 'Use client/ through client/index.ts.' },
    {
      regex: folderExcept('workflows', 'messages'),
      message: 'bench/ talks to workflows through workflows/messages (and `import type` of the rest).',
      types: true,
    },
  ]),
  layer('test', TESTS),
  {
    files: ['test/unit/**/*.ts'],
    rules: restrict(
      unitTestRules(['mongodb', '@temporalio/client', '@temporalio/worker', '@temporalio/testing']),
    ),
  },
  {
    // The stores' pure helpers are tested on the driver's own values (its error classes, a stand-in Db type),
    // which connect to nothing; a server is still out of reach (no workers/deps, no scripts/services).
    files: ['test/unit/stores/**/*.ts'],
    rules: restrict(unitTestRules(['@temporalio/client', '@temporalio/worker', '@temporalio/testing'])),
  },
  {
    files: ['test/workflow/**/*.ts'],
    rules: restrict([
      ...TESTS,
      {
        regex: packages('mongodb'),
        message:
          'Workflow tests run on the time-skipping server with activities they define, not on MongoDB.',
      },
      {
        regex: `${RELATIVE}(?:scripts/services|workers/(?:service|deps))$`,
        message: 'Workflow tests wire no production dependencies: that is test/integration.',
      },
    ]),
  },
);
