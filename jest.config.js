// Jest runs in native ESM mode (node --experimental-vm-modules, see package.json "jest"):
// @kubernetes/client-node 2.x and execa 10 are ESM-only, the @temporalio packages are CommonJS,
// and Node's ESM loader imports both. @swc/jest strips types from our .ts files (keeping ESM);
// tsc checks types separately (npm run typecheck). Workflow code is bundled by the Temporal
// worker's own webpack, never by jest.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
        module: { type: 'es6' },
        sourceMaps: 'inline',
      },
    ],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts', '<rootDir>/{crd,activities,workflows,workers,cli}/**/*.test.ts'],
  setupFiles: ['<rootDir>/test/setup-runtime.ts'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  testTimeout: 120_000,
  // Suites share one control plane and the host's network namespaces; a few at once is the
  // most this 2-core machine runs well.
  maxWorkers: 2,
};
