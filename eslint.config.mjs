// The layers and habits the code keeps, checked in `npm test` (npm run lint).
// Type-aware where it matters (floating promises); the layer rule keeps `vscode`
// inside the VS Code adapter so the engine stays testable without an editor.
import tseslint from 'typescript-eslint';

const vscodeOnlyHere = ['src/extension.ts', 'src/vscode/**', 'test/vscode/**', 'test/e2e/**'];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'media/**', 'node_modules/**', '.vscode-test*/**', 'bench/tmp/**', 'scripts/**', '**/*.mjs', '**/*.d.ts'] },
  { linterOptions: { reportUnusedDisableDirectives: 'off' } },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test()/describe() return promises the runner itself awaits
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/await-thenable': 'error',
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'Only src/extension.ts and src/vscode/ (the VS Code adapter) import vscode; src/ui-model/ is the editor-free view logic.' }] }],
      'no-debugger': 'error',
      'no-dupe-keys': 'error',
      'no-unreachable': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  { files: vscodeOnlyHere, rules: { 'no-restricted-imports': 'off' } },
  // A file holds one idea: past 300 lines it is split, or says at its top why it
  // stays whole (`/* eslint-disable max-lines -- the reason */` as its first line).
  { files: ['src/**/*.ts', 'webview/**/*.ts'], rules: { 'max-lines': ['error', { max: 300, skipBlankLines: false, skipComments: false }] } },
);
