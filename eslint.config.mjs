// The layers and habits the code keeps, checked in `npm test` (npm run lint).
// Type-aware where it matters (floating promises); the layer rule keeps `vscode`
// inside the VS Code adapter so the engine stays testable without an editor.
import tseslint from 'typescript-eslint';

const vscodeOnlyHere = ['src/extension.ts', 'src/vscode/**', 'test/vscode/**', 'test/e2e/**'];

const vscodeRule = {
  name: 'vscode',
  message: 'Only src/extension.ts and src/vscode/ (the VS Code adapter) import vscode; src/ui-model/ is the editor-free view logic.',
};

/** One no-restricted-imports entry per floor: the folders above it are refused. */
function layerRules(floors) {
  return floors.flatMap((floor, i) => {
    const above = floors.slice(0, i).flat();
    if (above.length === 0) return [];
    return floor.map((dir) => ({
      files: [`src/${dir}/**/*.ts`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            paths: dir === 'vscode' ? [] : [vscodeRule],
            patterns: [
              {
                group: above.flatMap((a) => [`../${a}/*`, `../../${a}/*`]),
                message: `src/${dir}/ stands below ${above.map((a) => `src/${a}/`).join(', ')}: import downwards only.`,
              },
            ],
          },
        ],
      },
    }));
  });
}

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
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/await-thenable': 'error',
      'no-restricted-imports': ['error', { paths: [vscodeRule] }],
      'no-debugger': 'error',
      'no-dupe-keys': 'error',
      'no-unreachable': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  { files: vscodeOnlyHere, rules: { 'no-restricted-imports': 'off' } },
  // The floors of src/, top to bottom (README "Development"): a folder imports
  // only from floors below it, so the engine never reaches up into a view.
  ...layerRules([
    ['vscode', 'cli'],
    ['probes', 'provider', 'gateway'],
    ['ui-model'],
    ['engine'],
    ['fallback'],
    ['swarm'],
    ['wallet'],
    ['local', 'history'],
    ['relay', 'run', 'text'],
  ]),
  {
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../src/*', '!../src/ui-model', '!../src/text'],
              message: 'The webview is browser code: it shares only src/ui-model/ and src/text/ with the host.',
            },
          ],
        },
      ],
    },
  },
  // A file holds one idea: past 300 lines it is split, or says at its top why it
  // stays whole (`/* eslint-disable max-lines -- the reason */` as its first line).
  { files: ['src/**/*.ts', 'webview/**/*.ts'], rules: { 'max-lines': ['error', { max: 300, skipBlankLines: false, skipComments: false }] } },
);
