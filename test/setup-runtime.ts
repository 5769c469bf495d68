/** Quiets the Temporal worker's INFO logs (bundler output, worker state changes) in tests. */
import { DefaultLogger, Runtime } from '@temporalio/worker';

try {
  Runtime.install({ logger: new DefaultLogger(process.env.KNMSTATE_TEST_LOG_LEVEL === 'debug' ? 'DEBUG' : 'WARN') });
} catch {
  // Already installed for this process by an earlier test file.
}
