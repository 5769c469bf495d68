/**
 * nmstatectl failures, parsed and classified (pure).
 *
 * nmstatectl exits 1 for every `NmstateError` and prints `NmstateError: <Kind>: <message>` on stderr
 * (a `PolicyError` spans three lines), 65 for serde and `--timeout` parse errors, 2 for usage errors.
 * Unparsable input reads `Provide file is not valid NetworkState or NetworkPolicy: …`, a policy file
 * that does not load `Failed to load from file, tried both YAML and JSON format. Errors: …`.
 */

import { KnmstateError, type NodeErrorType } from '../../crd/errors.ts';

/** The `NmstateError` kinds of nmstate 2.2.62, plus what knmstate adds for non-`NmstateError` output. */
export type NmstateErrorKind =
  | 'InvalidArgument'
  | 'PluginFailure'
  | 'Bug'
  | 'VerificationError'
  | 'NotImplementedError'
  | 'NotSupportedError'
  | 'KernelIntegerRoundedError'
  | 'DependencyError'
  | 'PolicyError'
  | 'PermissionError'
  | 'SrIovVfNotFound'
  /** Input that is neither a state nor a policy (serde), or exit 65. */
  | 'ParseError'
  /** Exit 2: nmstatectl rejected its arguments (a knmstate bug). */
  | 'UsageError'
  /** The command was killed by knmstate's timeout. */
  | 'Timeout'
  | 'Unknown';

/**
 * What a failure means for the caller:
 * - `invalid-input`: the state is wrong; retrying cannot help;
 * - `unsupported`: valid, but this node (kernel mode, missing kernel modules) cannot do it;
 * - `capture`: an nmpolicy capture or template failed to render;
 * - `verification`: applied, but the result did not match (NM mode has rolled back; kernel mode has not);
 * - `timeout`: killed after knmstate's timeout;
 * - `checkpoint-conflict`: NetworkManager already holds a checkpoint;
 * - `no-checkpoint`: commit/rollback found no checkpoint (`NotFound: Not active checkpoints`);
 * - `nm-unavailable`: NetworkManager cannot be reached (`DbusConnectionError`: no bus socket, or the
 *   bus is up and NetworkManager is not on it);
 * - `backend`: anything else (nispor, NetworkManager); possibly transient.
 */
export type NmstateFailureClass = 'invalid-input' | 'unsupported' | 'capture' | 'verification' | 'timeout' | 'checkpoint-conflict' | 'no-checkpoint' | 'nm-unavailable' | 'backend';

/** A parsed nmstatectl failure. */
export interface ParsedNmstateError {
  kind: NmstateErrorKind;
  class: NmstateFailureClass;
  /** The error text without log lines and without the `NmstateError: <Kind>: ` prefix. */
  message: string;
}

const KINDS: readonly NmstateErrorKind[] = [
  'InvalidArgument',
  'PluginFailure',
  'Bug',
  'VerificationError',
  'NotImplementedError',
  'NotSupportedError',
  'KernelIntegerRoundedError',
  'DependencyError',
  'PolicyError',
  'PermissionError',
  'SrIovVfNotFound',
];

/** Log lines (`[2026-…Z INFO  nmstatectl] …`) and Rust panics are not the error. */
const LOG_LINE = /^\[\d{4}-\d\d-\d\dT[^\]]*\]/;

/** The error part of nmstatectl's stderr: from the first `NmstateError:`/`Provide file`/`Failed to load`/`PolicyError` line on. */
export function errorText(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trimEnd());
  const start = lines.findIndex((l) => /^(NmstateError: |Provide file is not valid|Failed to load from file|PolicyError: )/.test(l));
  if (start >= 0) return lines.slice(start).join('\n').trim();
  const rest = lines.filter((l) => l && !LOG_LINE.test(l) && !/^(thread '|stack backtrace:|\s+\d+: |note: )/.test(l));
  return (rest.length ? rest[rest.length - 1]! : stderr.trim()).trim();
}

/**
 * Classifies a failed nmstatectl run.
 * @param subcommand the subcommand that failed (`apply`, `policy`, …): a render failure is a `capture`
 *   problem, the same text from `apply` an input problem.
 */
export function parseNmstateError(stderr: string, exitCode: number, subcommand: string, timedOut = false): ParsedNmstateError {
  const text = errorText(stderr);
  if (timedOut) return { kind: 'Timeout', class: 'timeout', message: text || 'killed after the timeout' };
  if (exitCode === 2 && /^error: /m.test(stderr)) return { kind: 'UsageError', class: 'backend', message: text };
  const policy = subcommand === 'policy';
  if (/^Provide file is not valid/.test(text) || exitCode === 65) return { kind: 'ParseError', class: policy ? 'capture' : 'invalid-input', message: text };
  if (/^Failed to load from file/.test(text)) return { kind: text.includes('PolicyError') ? 'PolicyError' : 'ParseError', class: policy ? 'capture' : 'invalid-input', message: text };
  const m = /^(?:NmstateError: )?([A-Za-z]+): ([\s\S]*)$/.exec(text);
  const kind = m && (KINDS as readonly string[]).includes(m[1]!) ? (m[1] as NmstateErrorKind) : 'Unknown';
  const message = kind === 'Unknown' ? text : m![2]!.trim();
  return { kind, class: classify(kind, message, policy), message };
}

function classify(kind: NmstateErrorKind, message: string, policy: boolean): NmstateFailureClass {
  switch (kind) {
    case 'PolicyError':
      return 'capture';
    case 'InvalidArgument':
      // `Unsupported capture keyword 'dns-resolver'` and friends come from the policy evaluator.
      return policy ? 'capture' : 'invalid-input';
    case 'KernelIntegerRoundedError':
      return 'invalid-input';
    case 'VerificationError':
      return 'verification';
    case 'NotImplementedError':
    case 'NotSupportedError':
    case 'DependencyError':
      return 'unsupported';
    case 'PluginFailure':
      // Kernel mode: a link kind the kernel (or nispor) cannot create. Retrying cannot help.
      return /Failed to create interface|Operation not supported|os error 95/.test(message) ? 'unsupported' : 'backend';
    case 'Bug':
      if (/CheckpointConflict/.test(message)) return 'checkpoint-conflict';
      if (/NotFound: Not active checkpoints/.test(message)) return 'no-checkpoint';
      if (/DbusConnectionError/.test(message)) return 'nm-unavailable';
      // NetworkManager mode: a link kind the kernel cannot create (nmstate retries it for ~2 minutes first).
      if (/Device\(CreationFailed\):[\s\S]*Operation not supported/.test(message)) return 'unsupported';
      return 'backend';
    default:
      return 'backend';
  }
}

/** The node-activity failure type of each failure class (crd/errors.ts has what each means). */
export const FAILURE_TYPE_OF_CLASS: Readonly<Record<NmstateFailureClass, NodeErrorType>> = {
  'invalid-input': 'InvalidDesiredState',
  unsupported: 'UnsupportedDesiredState',
  capture: 'CaptureRenderFailed',
  verification: 'VerificationFailed',
  timeout: 'NmstateTimeout',
  'nm-unavailable': 'NetworkManagerUnavailable',
  'checkpoint-conflict': 'CheckpointConflict',
  'no-checkpoint': 'CheckpointExpired',
  backend: 'NmstateFailed',
};

/** A failed nmstatectl command; its `type` follows its failure class ({@link FAILURE_TYPE_OF_CLASS}). */
export class NmstateCommandError extends KnmstateError {
  declare readonly type: NodeErrorType;
  readonly subcommand: string;
  readonly exitCode: number;
  readonly stderr: string;
  readonly parsed: ParsedNmstateError;
  readonly durationMs: number;

  constructor(subcommand: string, exitCode: number, stderr: string, durationMs: number, timedOut = false) {
    const parsed = parseNmstateError(stderr, exitCode, subcommand, timedOut);
    super(FAILURE_TYPE_OF_CLASS[parsed.class], `nmstatectl ${subcommand} failed (${timedOut ? 'timed out' : `exit ${exitCode}`}): ${parsed.kind === 'Unknown' || parsed.kind === 'ParseError' || parsed.kind === 'Timeout' ? '' : `${parsed.kind}: `}${parsed.message}`);
    this.subcommand = subcommand;
    this.exitCode = exitCode;
    this.stderr = stderr;
    this.parsed = parsed;
    this.durationMs = durationMs;
  }
}
