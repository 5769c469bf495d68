/**
 * The one error type of the CLI: a message for the user, what to do about it, and the exit code.
 * Commands throw it; cli/main.ts prints it and exits with its code. Anything else is a bug and exits 1
 * with its stack under `--debug`.
 */
import { EXIT, type ExitCode } from './exit-codes.ts';

/** A failure the user can act on. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  /** What to do, e.g. `set TEMPORAL_ADDRESS or --address`. */
  readonly hint: string | undefined;
  constructor(message: string, exitCode: ExitCode = EXIT.failed, hint?: string) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.hint = hint;
  }
}

/** A usage or configuration error (exit 3). */
export const usageError = (message: string, hint?: string): CliError => new CliError(message, EXIT.usage, hint);

/** A policy, rollout or node that does not exist (exit 4). */
export const notFoundError = (message: string, hint?: string): CliError => new CliError(message, EXIT.notFound, hint);
