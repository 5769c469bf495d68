/**
 * The controller's work queue: keys (policy names) to reconcile, each processed by one worker at a
 * time, added again while it is processed → processed once more afterwards, never twice at once.
 * A failure retries the key with exponential back-off (upstream's 1 s up to 30 s); a success resets
 * it. Coalescing: a key added many times before it runs is processed once. No I/O but timers.
 */

/** What the process function may ask for. */
export interface ProcessResult {
  /** Process the key again after this long (e.g. waiting for a rollout run to close). */
  requeueAfterMs?: number;
}

/** Options of {@link KeyedQueue}. */
export interface KeyedQueueOptions {
  process: (key: string) => Promise<ProcessResult | void>;
  /** Keys processed at once. @default 4 */
  concurrency?: number;
  /** @default 1000 */
  initialBackoffMs?: number;
  /** @default 30000 */
  maxBackoffMs?: number;
  /** Told of each failure, with the retry delay. */
  onError?: (key: string, err: unknown, failures: number, retryInMs: number) => void;
}

/** Back-off before retry `failures` (1-based): initial · 2^(failures-1), capped. */
export function backoffMs(failures: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, failures - 1));
}

/** A keyed, coalescing, retrying work queue. */
export class KeyedQueue {
  readonly #opts: Required<Omit<KeyedQueueOptions, 'onError'>> & Pick<KeyedQueueOptions, 'onError'>;
  readonly #ready = new Set<string>();
  readonly #active = new Set<string>();
  readonly #again = new Set<string>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #failures = new Map<string, number>();
  #stopped = false;
  #idleWaiters: (() => void)[] = [];

  constructor(opts: KeyedQueueOptions) {
    this.#opts = { concurrency: 4, initialBackoffMs: 1_000, maxBackoffMs: 30_000, ...opts };
  }

  /** Queues `key` now (a pending delayed retry is brought forward). */
  add(key: string): void {
    if (this.#stopped) return;
    const t = this.#timers.get(key);
    if (t) {
      clearTimeout(t);
      this.#timers.delete(key);
    }
    if (this.#active.has(key)) this.#again.add(key);
    else this.#ready.add(key);
    this.#pump();
  }

  /** Queues `key` after `ms`, unless it is queued sooner. */
  addAfter(key: string, ms: number): void {
    if (this.#stopped || this.#timers.has(key)) return;
    const t = setTimeout(() => {
      this.#timers.delete(key);
      this.add(key);
    }, ms);
    t.unref();
    this.#timers.set(key, t);
  }

  /** Keys waiting, running or scheduled. */
  get size(): number {
    return new Set([...this.#ready, ...this.#active, ...this.#again, ...this.#timers.keys()]).size;
  }

  /** Failures in a row of `key` (0 after a success). */
  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Resolves when nothing is ready or running (delayed retries may still be scheduled). */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((r) => this.#idleWaiters.push(r));
  }

  /** Stops taking work and drops scheduled retries; resolves when the keys in progress finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.#ready.clear();
    this.#again.clear();
    await this.idle();
  }

  #isIdle(): boolean {
    return this.#ready.size === 0 && this.#active.size === 0;
  }

  #pump(): void {
    while (!this.#stopped && this.#active.size < this.#opts.concurrency && this.#ready.size > 0) {
      const key = this.#ready.values().next().value!;
      this.#ready.delete(key);
      this.#active.add(key);
      void this.#run(key);
    }
    if (this.#isIdle()) for (const w of this.#idleWaiters.splice(0)) w();
  }

  async #run(key: string): Promise<void> {
    try {
      const r = await this.#opts.process(key);
      this.#failures.delete(key);
      if (r?.requeueAfterMs !== undefined && !this.#again.has(key)) this.addAfter(key, r.requeueAfterMs);
    } catch (err) {
      const n = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, n);
      const delay = backoffMs(n, this.#opts.initialBackoffMs, this.#opts.maxBackoffMs);
      this.#opts.onError?.(key, err, n, delay);
      if (!this.#again.has(key)) this.addAfter(key, delay);
    } finally {
      this.#active.delete(key);
      if (this.#again.delete(key) && !this.#stopped) {
        const t = this.#timers.get(key);
        if (t) {
          clearTimeout(t);
          this.#timers.delete(key);
        }
        this.#ready.add(key);
      }
      this.#pump();
    }
  }
}
