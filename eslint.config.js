// Lint rules, including the layer boundaries of DESIGN.md §2: core is sans-IO and imports neither
// main nor renderer; main and renderer never import each other; electron only in main/electron/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ioModules = [
  'net',
  'tls',
  'http',
  'https',
  'http2',
  'fs',
  'fs/promises',
  'child_process',
  'timers',
  'timers/promises',
  'dgram',
  'dns',
  'worker_threads',
  'cluster',
].flatMap((name) => [name, `node:${name}`]);
const electronOnlyInShell = { name: 'electron', message: 'Only main/electron/ may import electron.' };
const layer = (folder) => [
  `../${folder}`,
  `../${folder}/**`,
  `../../${folder}`,
  `../../${folder}/**`,
  `../../../${folder}/**`,
  `../../../../${folder}/**`,
];
const timerGlobals = [
  'setTimeout',
  'setInterval',
  'setImmediate',
  'clearTimeout',
  'clearInterval',
  'clearImmediate',
].map((name) => ({
  name,
  message: 'core is sans-IO: time is an input, never a timer.',
}));

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tsbuild/', 'e2e/lab/', 'test-results/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['core/**/*.ts'],
    ignores: ['core/**/*.test.ts', 'core/**/test-support/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            electronOnlyInShell,
            ...ioModules.map((name) => ({ name, message: 'core is sans-IO: the driver in main/ does the IO.' })),
          ],
          patterns: [
            { group: [...layer('main'), ...layer('renderer')], message: 'core imports neither main nor renderer.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', ...timerGlobals],
    },
  },
  {
    files: ['main/**/*.ts'],
    ignores: ['main/electron/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronOnlyInShell],
          patterns: [{ group: layer('renderer'), message: 'main never imports renderer.' }],
        },
      ],
    },
  },
  {
    files: ['main/electron/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: layer('renderer'), message: 'main never imports renderer.' }] },
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronOnlyInShell],
          patterns: [
            {
              group: layer('main'),
              message: 'renderer never imports main: it talks to the IPC contract in core/contract.',
            },
            { group: ['node:*'], message: 'renderer runs in a sandboxed page: no Node modules.' },
          ],
        },
      ],
    },
  },
  {
    files: [
      '**/*.test.ts',
      '**/test-support/**/*.ts',
      'e2e/**/*.ts',
      'bench/**/*.ts',
      'scripts/**/*.js',
      'bin/**/*.js',
      '*.config.{js,ts}',
    ],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
  },
);
