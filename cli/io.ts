/**
 * Where the CLI writes and what it knows of its terminal, passed to every command so that tests run
 * the whole program in-process and the e2e test spawns it as a process with the same code path.
 */

/** The process side of the CLI. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** stdout is a terminal (colours, redraw in place). */
  isTTY: boolean;
  /** Terminal width, when known. */
  columns?: number;
  env: Record<string, string | undefined>;
}

/** The real process: stdout, stderr, its environment. */
export function processIo(): CliIo {
  // A closed pipe (`kubectl nmstate history x | head`) ends the program quietly, as other CLIs do.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      process.exit(0);
    });
  }
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    isTTY: process.stdout.isTTY === true,
    ...(process.stdout.columns ? { columns: process.stdout.columns } : {}),
    env: process.env,
  };
}

/**
 * Whether to colour output: only on a terminal, never when `NO_COLOR` is set to anything non-empty
 * (no-color.org), always when `FORCE_COLOR` is set to anything but `0`, never with `--no-color`.
 */
export function useColor(io: Pick<CliIo, 'isTTY' | 'env'>, flag?: boolean): boolean {
  if (flag === false) return false;
  if (io.env.NO_COLOR) return false;
  if (io.env.FORCE_COLOR && io.env.FORCE_COLOR !== '0') return true;
  return io.isTTY;
}
