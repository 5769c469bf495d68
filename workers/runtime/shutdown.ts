/**
 * Graceful shutdown on SIGTERM / SIGINT: the first signal runs the process's stop function once; a
 * second one is logged and ignored; if the process is still alive `deadlineMs` (+ a margin) later, it
 * exits with code 1.
 *
 * The handlers stay installed (not `once`): execa's exit hook re-raises a signal when it sees no other
 * listener, which would kill the process in the middle of, e.g., undoing an apply.
 */
import type { Logger } from 'pino';

/** Options of {@link onShutdown}. */
export interface ShutdownOptions {
  /** Time the stop function has; the process exits with 1 at `deadlineMs + exitMarginMs`. */
  deadlineMs: number;
  /** @default 5_000 */
  exitMarginMs?: number;
  /** @default ['SIGTERM', 'SIGINT'] */
  signals?: NodeJS.Signals[];
  logger?: Logger;
  /** Logged with the signal. @default 'shutting down' */
  message?: string;
}

/**
 * Runs `stop` on the first shutdown signal. Returns a function that removes the handlers (for a
 * process that ends by itself).
 */
export function onShutdown(stop: (signal: NodeJS.Signals) => unknown, opts: ShutdownOptions): () => void {
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
  const log = opts.logger;
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log?.warn({ signal }, 'already shutting down');
      return;
    }
    stopping = true;
    log?.info({ signal, deadlineMs: opts.deadlineMs }, opts.message ?? 'shutting down');
    setTimeout(() => {
      log?.error('shutdown deadline passed; exiting');
      process.exit(1);
    }, opts.deadlineMs + (opts.exitMarginMs ?? 5_000)).unref();
    Promise.resolve()
      .then(() => stop(signal))
      .catch((err: unknown) => log?.error({ err }, 'shutdown failed'));
  };
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}
