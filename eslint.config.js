// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'assert',
  'buffer',
  'child_process',
  'crypto',
  'dns',
  'events',
  'fs',
  'fs/promises',
  'http',
  'https',
  'net',
  'os',
  'path',
  'process',
  'stream',
  'timers',
  'url',
  'util',
  'worker_threads',
  'zlib',
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'lib/', '.memotune/', 'coverage/', '.venv*/', 'docs/', 'test/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'bin/*.js', 'scripts/*/*.mjs', 'scripts/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        performance: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        Buffer: 'readonly',
        structuredClone: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Workflow code is replayed: deterministic, no I/O, no numeric libraries, activities as types only.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'workflow code must not use Node built-ins' })),
          patterns: [
            { group: ['node:*'], message: 'workflow code must not use Node built-ins' },
            { group: ['@aws-sdk/*'], message: 'workflow code must not do I/O: use an activity' },
            {
              group: ['ml-matrix', '**/src/gp/**', '**/src/optimizer/**', '**/src/acquisition/**', '**/src/linalg/**'],
              message: 'no numeric work in workflow code: it belongs in the suggest activity',
            },
            {
              group: ['@temporalio/worker', '@temporalio/client', '@temporalio/activity'],
              message: 'workflow code may only import @temporalio/workflow',
            },
            {
              group: ['**/activities', '**/activities/*'],
              allowTypeImports: true,
              message: 'import activities as types only (proxyActivities)',
            },
            {
              group: [
                '**/src/storage/**',
                '**/src/dev/**',
                '**/src/cli/**',
                '**/src/worker/**',
                '**/src/client/**',
                '**/src/core/keys*',
              ],
              message: 'workflow code may only import pure modules',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'Date', message: 'use workflow time (Date is replay-safe only via the sandbox; prefer workflowInfo)' },
      ],
    },
  },
  {
    // The library core: publishable alone, seeded randomness only.
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**', 'src/dev/**', 'src/worker/**', 'src/client/**', 'src/plugin.ts', 'src/index.ts', 'src/bench/temporal/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@temporalio/*'], message: 'the core must not depend on Temporal' }] },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'take a seeded generator instead' },
      ],
    },
  },
  {
    // Published numeric constants (rational approximations, direction numbers) are quoted with all
    // their digits, more than a double holds; the rounding is intended.
    files: [
      'src/random/**',
      'src/acquisition/**',
      'src/gp/**',
      'src/linalg/**',
      'src/synthetic/**',
      'src/space/**',
      'test/unit/**',
      'scripts/reference/**',
    ],
    rules: { 'no-loss-of-precision': 'off' },
  },
);
