// One linter (ESLint) and one formatter (Prettier), both run by `npm run lint`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import radfed from './scripts/lint/radfed-plugin.js';

export default tseslint.config(
  {
    ignores: ['node_modules/', 'dist/', 'out/', 'coverage/', 'test-results/', 'playwright-report/', '.tmp/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Type-aware rules, as Podman Desktop's config has them: a promise nobody awaits loses its error,
    // and an async function where a void callback is expected (an event handler, a Stream method)
    // drops its rejection. Only files in a tsconfig project can be typed; the rest are plain-linted.
    files: [
      'main/**/*.ts',
      'shared/**/*.ts',
      'hub/**/*.ts',
      'cli/**/*.ts',
      'e2e/**/*.ts',
      'renderer/src/**/*.ts',
      'renderer/src/**/*.svelte',
    ],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: ['.svelte'],
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser }, globals: { ...globals.browser } },
  },
  {
    // Rooms: the site agent and the hub never import Electron; shared/ imports nothing of ours.
    files: ['main/site/**/*.ts', 'hub/**/*.ts', 'shared/**/*.ts', 'cli/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: ['electron'] }] },
  },
  {
    // Product code never reads a tensor synchronously: WebGPU in Node cannot (tfjs needs an
    // OffscreenCanvas for it and throws), and on any backend the read waits for every queued kernel.
    // Specs and test helpers may, on the CPU backends they choose.
    files: ['main/**/*.ts', 'hub/**/*.ts', 'cli/**/*.ts', 'shared/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/testing/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'CallExpression[callee.property.name=/^(dataSync|arraySync|bufferSync)$/]',
          message:
            'A synchronous tensor read throws on WebGPU in Node and stalls the queue elsewhere: use `await tensor.data()` (or `.array()`, `.buffer()`).',
        },
      ],
    },
  },
  {
    // Rooms (scripts/lint/rooms.js): a folder with an index.ts is a room, and code outside it imports
    // only that index.ts. Specs, test helpers, e2e/ and the benchmarks may also use another room's test
    // helpers (its testing/ folder). Each exception below is a reviewed design question.
    files: ['**/*.ts', '**/*.js', '**/*.mjs', '**/*.svelte'],
    plugins: { radfed },
    rules: {
      'radfed/door-only': [
        'error',
        {
          allow: [
            {
              from: 'cli/bench/receiver-flood.ts',
              to: 'main/site/receiver/raw-peer.ts',
              why: "raw-peer.ts is a receiver test helper that is not yet in the room's testing/ folder",
            },
            {
              from: 'e2e/fixtures/site-web-ui.ts',
              to: 'main/site/robustness/pydicom-files.ts',
              why: 'the list of pydicom test files is test data that is not yet in a testing/ folder',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/src/**/*.ts', 'renderer/src/**/*.svelte'],
    rules: {
      // Transitive: the renderer may import nothing that reaches node:* or a Node-only package, even
      // through a door outside shared/node/ (shared/node-use.spec.ts keeps shared/ itself honest).
      'radfed/renderer-node-free': 'error',
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.svelte'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['electron', 'fs', 'node:fs', 'child_process'],
          // shared/node/ is shared between Node processes only (it uses node:fs).
          patterns: ['**/main/**', '**/hub/**', '**/shared/node/**'],
        },
      ],
    },
  },
);
