// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import outpost from './eslint-rules/import-zones.js';

/** Import zones from DESIGN.md: each entry forbids `target` from importing `from`. */
const zones = [
  {
    target: './src-shared',
    from: ['./src-main', './src-preload', './src-renderer'],
    message: 'src-shared imports nothing from the project.',
  },
  {
    target: './src-main/server',
    from: ['./src-main/agent', './src-main/app', './src-main/cli', './src-preload', './src-renderer'],
    message: 'The server meets the agent only over HTTP/WS.',
  },
  {
    target: './src-main/agent',
    from: ['./src-main/server', './src-main/app', './src-main/cli', './src-preload', './src-renderer'],
    message: 'The agent meets the server only over HTTP/WS.',
  },
  {
    target: './src-preload',
    from: ['./src-main', './src-renderer'],
    message: 'Preload sees only src-shared.',
  },
  {
    target: './src-renderer',
    from: ['./src-main', './src-preload'],
    message: 'The renderer talks only to the channel API from src-shared.',
  },
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'out/**',
      'node_modules/**',
      'coverage/**',
      'data/**',
      'test-results/**',
      'playwright-report/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { outpost },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'outpost/import-zones': ['error', { zones }],
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: "Only src-main/app and src-main/main.ts import 'electron'." }],
        },
      ],
    },
  },
  {
    // The Electron shell and the preload are the places that may touch Electron.
    files: ['src-main/app/**', 'src-main/main.ts', 'src-preload/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // Library code logs through the logger factory; only CLI entry points write to the console.
    files: ['src-main/**/*.ts', 'src-shared/**/*.ts'],
    ignores: ['src-main/cli/**'],
    rules: { 'no-console': 'error' },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
