/**
 * Runs the jest suite and ends with the line "N passed, N failed[, N skipped]" computed from jest's
 * JSON results (a suite that could not run at all counts as one failure). Exit code: jest's.
 * Arguments go to jest, e.g. `hack/test.sh test/smoke.test.ts -t "given"`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface JestResults {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numRuntimeErrorTestSuites: number;
  testResults: { status: string; message: string; name: string; assertionResults: unknown[] }[];
}

const dir = mkdtempSync(join(tmpdir(), 'knmstate-jest-'));
const out = join(dir, 'results.json');
const r = spawnSync(
  process.execPath,
  ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', 'node_modules/jest/bin/jest.js', '--json', `--outputFile=${out}`, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
let passed = 0;
let failed: number;
let skipped = 0;
if (existsSync(out)) {
  const res = JSON.parse(readFileSync(out, 'utf8')) as JestResults;
  passed = res.numPassedTests;
  failed = res.numFailedTests;
  skipped = res.numPendingTests + res.numTodoTests;
  // Suites that failed before running a test (syntax error, failing beforeAll) have no results.
  failed += res.testResults.filter((t) => t.status === 'failed' && t.assertionResults.length === 0).length;
} else {
  failed = 1;
}
rmSync(dir, { recursive: true, force: true });
const code = r.status ?? 1;
if (code !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(code);
