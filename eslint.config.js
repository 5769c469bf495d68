// ESLint flat config. Three rules matter most:
// - no-floating-promises everywhere: an un-awaited activity, workflow or API call is a bug;
// - workflows/** may not import Node builtins or I/O packages, nor read the clock or randomness
//   directly: workflow code must be deterministic (Temporal replays it);
// - the layers (README, "Dependencies point one way"), as no-restricted-imports per folder:
//   crd/ imports nothing of the project and no Node builtins; workflows/ imports crd/, itself and
//   activities/ as types only; activities/ imports neither workers/ nor cli/, and workflows/ as types
//   only; no product folder imports hack/, test/ or bench/, bench/ does not import test/, and no file
//   of these folders reaches outside the repository.
//   Tests next to product code (*.test.ts) are not product: only the determinism rules bind them.
//   test/lint/layers.test.ts proves each arrow fails when broken.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);

const builtinPaths = (message) => nodeBuiltins.map((name) => ({ name, message }));
const workflowIoPaths = ['execa', '@kubernetes/client-node', '@temporalio/client', '@temporalio/worker', '@temporalio/activity', 'pino'].map((name) => ({
  name,
  message: 'Workflow code may not do I/O; call an activity instead.',
}));

/** The top-level folders of the repository that code is organised in. */
const FOLDERS = ['crd', 'workflows', 'activities', 'workers', 'cli', 'hack', 'test', 'bench', 'examples', 'deploy', 'docs'];
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Import patterns of one product layer for its files `depth` folders below the repository root
 * (relative specifiers only name a top-level folder at a known number of `../`).
 * `forbidden`: folders it may not import; `typesOnly`: folders it may import types from only.
 */
function layerPatterns(layer, depth, { forbidden, typesOnly = [] }) {
  const up = escape('../'.repeat(depth));
  const rule = (folders, message, extra = {}) => ({ regex: `^${up}(${folders.join('|')})(/|$)`, message, ...extra });
  return [
    { regex: `^${up}\\.\\./`, message: 'A file of the repository names nothing outside it.' },
    ...(forbidden.length ? [rule(forbidden, `${layer}/ may not import this folder (README: "Dependencies point one way").`)] : []),
    ...(typesOnly.length ? [rule(typesOnly, `${layer}/ may import this folder as types only (import type).`, { allowTypeImports: true })] : []),
  ];
}

const NOT_PRODUCT = ['hack', 'test', 'bench', 'examples', 'deploy', 'docs'];
/** Per product folder: what it may not import, what types only. */
const LAYERS = {
  crd: { forbidden: FOLDERS.filter((f) => f !== 'crd') },
  workflows: { forbidden: FOLDERS.filter((f) => !['workflows', 'crd', 'activities'].includes(f)), typesOnly: ['activities'] },
  activities: { forbidden: ['workers', 'cli', ...NOT_PRODUCT], typesOnly: ['workflows'] },
  workers: { forbidden: ['cli', ...NOT_PRODUCT] },
  cli: { forbidden: ['workers', ...NOT_PRODUCT] },
  // Not product, but benchmarks share fixtures with tests through hack/fixtures/, never test/.
  bench: { forbidden: ['test'] },
};

/** One flat-config block per product folder and depth (1 to 4). */
function layerConfigs() {
  return Object.entries(LAYERS).flatMap(([layer, spec]) =>
    [1, 2, 3, 4].map((depth) => ({
      files: [`${layer}/${'*/'.repeat(depth - 1)}*.ts`],
      ignores: ['**/*.test.ts'],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            paths: [
              ...(layer === 'crd' ? builtinPaths('crd/ is the API leaf: no Node builtins (no I/O).') : []),
              ...(layer === 'workflows' ? [...builtinPaths('Workflow code must be deterministic: no Node builtins.'), ...workflowIoPaths] : []),
            ],
            patterns: layerPatterns(layer, depth, spec),
          },
        ],
      },
    })),
  );
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', 'hack/etcd/**', 'hack/kube-apiserver/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: { allowDefaultProject: ['*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['workflows/**/*.ts', 'test/**/workflows.ts', 'test/**/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'Workflow code must be deterministic: no Node builtins.' })),
            ...['execa', '@kubernetes/client-node', '@temporalio/client', '@temporalio/worker', '@temporalio/activity', 'pino'].map((name) => ({
              name,
              message: 'Workflow code may not do I/O; call an activity instead.',
            })),
          ],
          patterns: [{ group: ['**/activities/**', '../activities/*'], allowTypeImports: true, message: 'Import activities as types only.' }],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Use workflow time (Date is replayed) only through sleep/condition; no wall clock.' },
        { object: 'Math', property: 'random', message: 'Use uuid4() from @temporalio/workflow.' },
      ],
      'no-restricted-globals': ['error', { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' }, { name: 'setInterval', message: 'Use sleep() in a loop.' }],
    },
  },
  // After the determinism block: for workflows/** this replaces its no-restricted-imports with one
  // that has the same builtins and I/O packages plus the layer patterns.
  ...layerConfigs(),
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
