/**
 * What every command gets: the process side ({@link CliIo}), colour, the lazily opened connections,
 * the clock, and small helpers shared by several commands (flag parsing that fails with exit 3).
 */
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../crd/quantities.ts';
import type { CliIo } from './io.ts';
import { OUTPUT_FORMATS, type OutputFormat } from './render/output.ts';
import type { Session } from './session.ts';

/** The context of a command. */
export interface CommandContext {
  io: CliIo;
  /** Colour output (TTY, NO_COLOR, --no-color). */
  color(): boolean;
  /** The connections, built from the global flags on first use. */
  session(): Session;
  /** Milliseconds since epoch. */
  now(): number;
  /** `--debug`: print stacks of unexpected errors. */
  debug(): boolean;
}

/** commander parser of `--timeout 5m`-style flags. */
export function durationArg(value: string): number {
  try {
    return parseDuration(value, 'duration');
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** commander parser of `-o json|yaml`. */
export function outputArg(value: string): OutputFormat {
  if (!(OUTPUT_FORMATS as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${OUTPUT_FORMATS.join(', ')}`);
  return value as OutputFormat;
}

/** commander parser of a positive integer. */
export function positiveIntArg(value: string): number {
  if (!/^[1-9][0-9]*$/.test(value)) throw new InvalidArgumentError('must be an integer >= 1');
  return Number(value);
}

/** Polls `fn` every `intervalMs` until it returns a truthy value or `timeoutMs` passes (then undefined). */
export async function pollUntil<T>(fn: () => Promise<T | undefined | false>, timeoutMs: number, intervalMs = 250): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {
      // the next poll may answer
    }
    if (Date.now() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
