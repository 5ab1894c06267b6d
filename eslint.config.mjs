// Lint rules enforce the dependency direction of ARCHITECTURE §2:
// domain <- stores <- activities <- workers; workflows -> domain (+ type-only activities); client on top.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'fs',
  'path',
  'os',
  'crypto',
  'child_process',
  'net',
  'http',
  'https',
  'util',
  'stream',
  'events',
  'worker_threads',
  'process',
].flatMap((m) => [m, `node:${m}`, `node:${m}/*`]);

const restrict = (patterns, message, allowTypeImports = false) => ({
  '@typescript-eslint/no-restricted-imports': [
    'error',
    { patterns: [{ group: patterns, message, allowTypeImports }] },
  ],
});

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
  {
    files: ['domain/**/*.ts'],
    rules: restrict(
      [
        'mongodb',
        '@temporalio/*',
        '**/stores/**',
        '**/activities/**',
        '**/workflows/**',
        '**/workers/**',
        '**/client/**',
        '**/scripts/**',
        ...nodeBuiltins,
      ],
      'domain/ is pure: no I/O, no Temporal, no other layer.',
    ),
  },
  {
    files: ['stores/**/*.ts'],
    rules: restrict(
      ['@temporalio/*', '**/activities/**', '**/workflows/**', '**/workers/**', '**/client/**'],
      'stores/ depends only on domain/ and mongodb.',
    ),
  },
  {
    files: ['activities/**/*.ts'],
    rules: restrict(
      ['**/workflows/**', '**/workers/**', '**/client/**', 'mongodb'],
      'activities/ use stores/ and domain/ only.',
    ),
  },
  {
    files: ['workflows/**/*.ts'],
    rules: restrict(
      [
        'mongodb',
        '**/stores/**',
        '**/activities/**',
        '**/workers/**',
        '**/client/**',
        '**/scripts/**',
        '@temporalio/client',
        '@temporalio/worker',
        '@temporalio/activity',
        ...nodeBuiltins,
      ],
      'workflows/ are deterministic sandboxed code: domain/ and `import type` of activities only.',
      true,
    ),
  },
  {
    files: ['api/**/*.ts'],
    rules: restrict(
      ['**/activities/**', '**/workers/**', '**/scripts/**'],
      'api/ composes the Temporal client and the stores; it never runs activities or workers.',
    ),
  },
  {
    files: ['client/**/*.ts'],
    ignores: ['client/cli.ts', 'client/demo.ts', 'client/data-commands.ts', 'client/integration-commands.ts'],
    rules: restrict(
      ['**/stores/**', '**/activities/**', '**/workers/**', 'mongodb'],
      'client/ talks to Temporal, not to the stores; only the CLI composes the worker.',
    ),
  },
);
