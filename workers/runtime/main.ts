/**
 * The frame of a process's entry point: load the configuration, make the logger at its level, run
 * `main`, and turn a failure into a fatal log line and an exit code (2 for a bad configuration, 1
 * otherwise). Open handles (connections, timers) do not keep a failed process alive.
 */
import type { Logger } from 'pino';
import { ConfigError } from './config-error.ts';
import { createLogger } from './logging.ts';

/** What {@link runMain} needs to know about a process. */
export interface MainOptions<C> {
  /** `component` on every log line, e.g. `knmstate-node-agent`. */
  component: string;
  /** Parses the environment; throws {@link ConfigError} for bad values. */
  load: (env: Record<string, string | undefined>) => C;
  /** The log level the configuration asks for. */
  logLevel: (config: C) => string;
}

/** Runs `main(log, config)`; resolves when it returns or fails (the exit code is set then). */
export async function runMain<C>(opts: MainOptions<C>, main: (log: Logger, config: C) => Promise<void>): Promise<void> {
  let log = createLogger(opts.component);
  try {
    const config = opts.load(process.env);
    log = createLogger(opts.component, opts.logLevel(config));
    await main(log, config);
  } catch (err) {
    if (err instanceof ConfigError) {
      log.fatal({ problems: err.problems }, err.message);
      process.exitCode = 2;
    } else {
      log.fatal({ err }, `${opts.component} failed`);
      process.exitCode = 1;
    }
    setTimeout(() => process.exit(), 1_000).unref();
  }
}
