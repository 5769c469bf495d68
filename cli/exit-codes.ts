/**
 * The exit codes of `kubectl nmstate`, one meaning each, so a CI job can branch on them. Printed by
 * `--help` and documented in cli/README.md.
 */

/** Exit codes by meaning. */
export const EXIT = {
  /** The rollout is Available / Completed (or, without waiting, nothing is wrong yet); a command succeeded. */
  ok: 0,
  /** The rollout is Degraded, Halted or RolledBack; a plan found problems; the engine refused a request. */
  failed: 1,
  /** `--timeout` passed before the rollout ended (or before the engine answered). */
  timeout: 2,
  /** Usage or configuration error: bad flag or file, unreachable Temporal or API server. */
  usage: 3,
  /** The policy (or its rollout, or the node) does not exist. */
  notFound: 4,
} as const;

/** An exit code of the CLI. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The table printed at the end of `--help`. */
export const EXIT_CODES_HELP = `Exit codes:
  0  Available / Completed (get); the command succeeded
  1  Degraded, Halted or RolledBack (get); plan found problems; the engine refused the request
  2  --timeout passed before the rollout ended
  3  usage or configuration error (flags, files, Temporal or API server unreachable)
  4  policy, rollout or node not found`;
