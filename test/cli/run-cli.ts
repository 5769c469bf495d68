/** Runs the CLI in-process with captured output (same code path as the executable, minus the process). */
import { main } from '../../cli/main.ts';

/** What a run printed and returned. */
export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs `kubectl-nmstate <argv>` with `env` (no terminal unless `isTTY`). */
export async function runCli(argv: string[], env: Record<string, string | undefined> = {}, isTTY = false): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t), isTTY, env });
  return { code, out, err };
}
