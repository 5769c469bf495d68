/**
 * What the one writer last saw of each enactment, so that a report writes a known enactment with one
 * request (the status replace, guarded by the cached `resourceVersion`) instead of a read and a
 * write. A stale entry costs nothing but a retry: the replace fails with 409 (changed) or 404
 * (deleted), the entry is dropped and the object read again. Pure bookkeeping, no I/O.
 */
import type { NodeNetworkConfigurationEnactment } from '../../crd/nnce.ts';

/** Cached knowledge of one object: its last seen version, or that it does not exist. */
export type Known<T> = { exists: true; object: T } | { exists: false };

/** A bounded map name → last seen object; the oldest entries go first when full. */
export class ObjectCache<T = NodeNetworkConfigurationEnactment> {
  readonly #entries = new Map<string, Known<T>>();
  readonly #max: number;

  /** @param max most entries kept (the oldest are evicted). @default 50000 */
  constructor(max = 50_000) {
    this.#max = max;
  }

  /** What is known of `name`, if anything. */
  get(name: string): Known<T> | undefined {
    return this.#entries.get(name);
  }

  /** Records the object as last seen (or written). */
  seen(name: string, object: T): void {
    this.#set(name, { exists: true, object });
  }

  /** Records that `name` does not exist. */
  absent(name: string): void {
    this.#set(name, { exists: false });
  }

  /** Forgets `name` (the next write reads it first). */
  forget(name: string): void {
    this.#entries.delete(name);
  }

  get size(): number {
    return this.#entries.size;
  }

  #set(name: string, k: Known<T>): void {
    this.#entries.delete(name);
    this.#entries.set(name, k);
    while (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
  }
}
