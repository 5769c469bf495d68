/**
 * One informer (@kubernetes/client-node `makeInformer`: list, then watch from the list's
 * resourceVersion, with a local cache) that never stops silently. The library re-lists by itself
 * after an expired resourceVersion (410 Gone) and reconnects after a watch timeout; any other error
 * (apiserver down, connection reset, a failed list) ends its loop, so this restarts it with back-off
 * (1 s doubling up to 30 s) and logs each restart. Its cache survives the restart; a re-list reports
 * what changed meanwhile (adds, updates, and deletes of what vanished).
 */
import { makeInformer, type Informer, type KubeConfig, type KubernetesListObject, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { backoffMs } from './keyed-queue.ts';

/** What {@link ResourceWatch.health} reports. */
export interface WatchHealth {
  /** The first list succeeded (the cache holds the whole collection at least once). */
  synced: boolean;
  /** No error since the last (re)start. */
  ok: boolean;
  restarts: number;
  lastError?: string;
}

/** A restarting informer on `path`. */
export class ResourceWatch<T extends KubernetesObject> {
  readonly name: string;
  readonly #informer: Informer<T> & ObjectCache<T>;
  readonly #log: Pick<Logger, 'info' | 'warn'>;
  #synced = false;
  #ok = false;
  #errors = 0;
  #failuresInRow = 0;
  #restarts = 0;
  #lastError: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  /** `list` must apply the same `labelSelector` as the watch. */
  constructor(name: string, kubeConfig: KubeConfig, path: string, list: () => Promise<KubernetesListObject<T>>, log: Pick<Logger, 'info' | 'warn'>, labelSelector?: string) {
    this.name = name;
    this.#log = log;
    this.#informer = makeInformer<T>(kubeConfig, path, list, labelSelector);
    this.#informer.on('error', (err: unknown) => this.#onError(err));
  }

  /** Registers a handler (`add`, `update`, `delete`). */
  on(verb: 'add' | 'update' | 'delete', cb: (obj: T) => void): void {
    this.#informer.on(verb, cb);
  }

  /** The cached objects. */
  list(): readonly T[] {
    return this.#informer.list();
  }

  /** A cached object by name (cluster-scoped). */
  get(name: string): T | undefined {
    return this.#informer.get(name);
  }

  /** Lists and starts watching; resolves once the first attempt ended (see {@link health}). */
  async start(): Promise<void> {
    this.#stopped = false;
    const before = this.#errors;
    await this.#informer.start();
    if (this.#errors === before && !this.#stopped) {
      this.#synced = true;
      this.#ok = true;
      this.#failuresInRow = 0;
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#informer.stop();
  }

  health(): WatchHealth {
    return { synced: this.#synced, ok: this.#ok, restarts: this.#restarts, ...(this.#lastError ? { lastError: this.#lastError } : {}) };
  }

  #onError(err: unknown): void {
    this.#errors++;
    this.#ok = false;
    this.#lastError = err instanceof Error ? err.message : String((err as { message?: string })?.message ?? err);
    if (this.#stopped || this.#timer) return;
    const delay = backoffMs(++this.#failuresInRow, 1_000, 30_000);
    this.#log.warn({ informer: this.name, err: this.#lastError, retryInMs: delay }, 'watch failed; restarting the informer');
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#stopped) return;
      this.#restarts++;
      this.start().then(
        () => {
          if (this.#ok) this.#log.info({ informer: this.name, restarts: this.#restarts }, 'informer restarted');
        },
        (e: unknown) => this.#onError(e),
      );
    }, delay);
    this.#timer.unref();
  }
}
