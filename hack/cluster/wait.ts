/**
 * Condition waits for the harness and the tests: "eventually" and "consistently", never a bare sleep.
 */
import { setTimeout as delay } from 'node:timers/promises';

/** Options of {@link eventually} and {@link consistently}. */
export interface WaitOptions {
  /** Give up after this many milliseconds. @default 30_000 */
  timeoutMs?: number;
  /** Poll interval in milliseconds. @default 100 */
  intervalMs?: number;
  /** Says what is awaited, for the error message. */
  what?: string;
}

/** Thrown by {@link eventually} when the condition never held. */
export class WaitTimeoutError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WaitTimeoutError';
  }
}

/** Thrown inside an {@link eventually} condition to stop waiting at once (e.g. the process died). */
export class GiveUp extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GiveUp';
  }
}

/**
 * Polls `fn` until it returns a value other than `undefined`/`false` (or stops throwing) and returns it.
 * The last error or falsy result is reported when the timeout is reached.
 */
export async function eventually<T>(fn: () => T | Promise<T>, opts: WaitOptions = {}): Promise<Exclude<T, false | undefined>> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as Exclude<T, false | undefined>;
      last = v;
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      last = err;
    }
    if (performance.now() >= deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'condition'}; last result: ${detail}`, {
        cause: last,
      });
    }
    await delay(intervalMs);
  }
}

/** Checks that `fn` keeps returning a truthy value (and never throws) for `durationMs`. */
export async function consistently(fn: () => unknown, durationMs: number, opts: Omit<WaitOptions, 'timeoutMs'> = {}): Promise<void> {
  const intervalMs = opts.intervalMs ?? 100;
  const end = performance.now() + durationMs;
  do {
    const v = await fn();
    if (!v) throw new Error(`${opts.what ?? 'condition'} stopped holding (got ${JSON.stringify(v)})`);
    await delay(intervalMs);
  } while (performance.now() < end);
}
