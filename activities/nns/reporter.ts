/**
 * NodeNetworkState reporter: writes one node's current state to the NNS object named after the node
 * (owner reference to the Node), as upstream's handler does (controllers/handler/node_controller.go):
 * - every 60 s plus up to 10 % jitter, `nmstatectl show`, filtered ({@link filterNetworkState});
 * - written only when the filtered state differs from the last one written (compared in memory), with
 *   `lastSuccessfulUpdateTime`, `handlerNmstateVersion` and `hostNetworkManagerVersion`
 *   (`kernel mode` when NetworkManager is not used);
 * - at once after every apply, rollback and revert ({@link NnsReporter.refresh});
 * - again when its NNS is deleted or its `nmstate.io/force-nns-refresh` label changes (fed by
 *   {@link watchNodeNetworkStates}, one watch per agent process).
 * The agent writes NNS only; policy and enactment status belong to the rollout engine.
 */
import { isKubeError, type KubeClient } from '../kube/client.ts';
import type { Logger } from 'pino';
import { LABEL_FORCE_NNS_REFRESH, NNS, type NodeNetworkState } from '../../crd/nns.ts';
import type { NmstateDriver } from '../nmstate/driver.ts';
import type { NetworkState } from '../../crd/network-state.ts';
import { filterNetworkState } from './filter.ts';
import { canonical } from '../../crd/json.ts';

/** Settings of one {@link NnsReporter}. */
export interface NnsReporterOptions {
  node: string;
  kube: KubeClient;
  driver: NmstateDriver;
  /** Refresh period. @default 60_000 (upstream) */
  periodMs?: number;
  /** Extra fraction of the period, random per tick. @default 0.1 (upstream) */
  jitter?: number;
  /** Labels for the NNS (upstream's app.kubernetes.io/* relationship labels). */
  labels?: Record<string, string>;
  /** NetworkManager's version, NetworkManager mode only (`kernel mode` otherwise). */
  networkManagerVersion?: () => Promise<string>;
  logger?: Logger;
}

const isNotFound = (err: unknown): boolean => isKubeError(err, 404);
const isConflict = (err: unknown): boolean => isKubeError(err, 409);
const NNS_PATH = `/apis/${NNS.group}/${NNS.version}/${NNS.plural}`;

/** One node's NodeNetworkState writer. */
export class NnsReporter {
  readonly node: string;
  readonly #o: NnsReporterOptions;
  readonly #kube: KubeClient;
  readonly #path: string;
  #last: string | undefined;
  #versions: { nmstate: string; nm: string } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  #stopped = false;
  #writes = 0;
  #lastLabel: string | undefined;
  #nodeUid: string | undefined;

  constructor(o: NnsReporterOptions) {
    this.node = o.node;
    this.#o = o;
    this.#kube = o.kube;
    this.#path = `${NNS_PATH}/${encodeURIComponent(o.node)}`;
  }

  /** Status writes made so far (each one a change). */
  get writes(): number {
    return this.#writes;
  }

  /** Starts the periodic refresh (the first one at once). */
  start(): void {
    this.#stopped = false;
    const tick = (): void => {
      void this.refresh('period').finally(() => {
        if (this.#stopped) return;
        const period = this.#o.periodMs ?? 60_000;
        this.#timer = setTimeout(tick, period * (1 + Math.random() * (this.#o.jitter ?? 0.1)));
        this.#timer.unref();
      });
    };
    tick();
  }

  /** Stops the periodic refresh and waits for a refresh in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#chain.catch(() => undefined);
  }

  /**
   * Reads the state and writes it if it changed since the last write. Serialised per node; never
   * throws (a failure is logged and retried at the next refresh). Resolves to whether it wrote.
   */
  refresh(reason: string): Promise<boolean> {
    const run = this.#chain.then(() => this.#refresh(reason));
    this.#chain = run.catch(() => undefined);
    return run.catch((err: unknown) => {
      this.#o.logger?.warn({ node: this.node, reason, err: err instanceof Error ? err.message : err }, 'NodeNetworkState refresh failed');
      return false;
    });
  }

  /** Called by the watch: the NNS was deleted (recreate it) or its force-refresh label changed. */
  onWatchEvent(type: string, obj: NodeNetworkState | undefined): void {
    if (type === 'DELETED') {
      this.#last = undefined;
      void this.refresh('nns deleted');
      return;
    }
    const label = obj?.metadata?.labels?.[LABEL_FORCE_NNS_REFRESH];
    if (label !== undefined && label !== this.#lastLabel) {
      this.#lastLabel = label;
      void this.refresh('force-nns-refresh label');
    }
  }

  async #versionsOnce(): Promise<{ nmstate: string; nm: string }> {
    if (!this.#versions) {
      const nmstate = await this.#o.driver.version().catch(() => 'unknown');
      const nm = this.#o.driver.mode === 'kernel' ? 'kernel mode' : await (this.#o.networkManagerVersion?.() ?? Promise.resolve('')).catch(() => 'unknown');
      this.#versions = { nmstate, nm };
    }
    return this.#versions;
  }

  async #refresh(reason: string): Promise<boolean> {
    const state = filterNetworkState(await this.#o.driver.show());
    const key = canonical(state);
    if (key === this.#last) return false;
    await this.#write(state);
    this.#last = key;
    this.#writes++;
    this.#o.logger?.debug({ node: this.node, reason }, 'NodeNetworkState updated');
    return true;
  }

  /** The owner reference to this node's Node object (read once). */
  async #owner(): Promise<{ apiVersion: string; kind: string; name: string; uid: string }> {
    this.#nodeUid ??= (await this.#kube.request<{ metadata: { uid: string } }>('GET', `/api/v1/nodes/${encodeURIComponent(this.node)}`)).metadata.uid;
    return { apiVersion: 'v1', kind: 'Node', name: this.node, uid: this.#nodeUid };
  }

  async #ensureObject(): Promise<NodeNetworkState> {
    const owner = await this.#owner();
    try {
      const existing = await this.#kube.request<NodeNetworkState>('GET', this.#path);
      // Left by an earlier Node of the same name (garbage collection had not run): adopt it.
      if (!existing.metadata.ownerReferences?.some((o) => o.kind === 'Node' && o.uid === owner.uid)) {
        return await this.#kube.request<NodeNetworkState>('PUT', this.#path, { ...existing, metadata: { ...existing.metadata, ownerReferences: [owner] } });
      }
      return existing;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const body: NodeNetworkState = {
      apiVersion: NNS.apiVersion,
      kind: NNS.kind,
      metadata: {
        name: this.node,
        ...(this.#o.labels && Object.keys(this.#o.labels).length ? { labels: this.#o.labels } : {}),
        ownerReferences: [owner],
      },
    };
    try {
      return await this.#kube.request<NodeNetworkState>('POST', NNS_PATH, body);
    } catch (err) {
      if (!isConflict(err)) throw err;
      return await this.#kube.request<NodeNetworkState>('GET', this.#path);
    }
  }

  async #write(currentState: NetworkState): Promise<void> {
    const v = await this.#versionsOnce();
    for (let attempt = 1; ; attempt++) {
      const obj = await this.#ensureObject();
      const body = {
        ...obj,
        status: { ...obj.status, currentState, lastSuccessfulUpdateTime: new Date().toISOString(), handlerNmstateVersion: v.nmstate, hostNetworkManagerVersion: v.nm },
      };
      try {
        await this.#kube.request('PUT', `${this.#path}/status`, body);
        return;
      } catch (err) {
        if ((isConflict(err) || isNotFound(err)) && attempt < 5) continue;
        throw err;
      }
    }
  }
}

/**
 * One watch over all NodeNetworkStates for an agent process, dispatching DELETED events and
 * force-refresh label changes to the reporters of the nodes it hosts. Restarts after errors; returns
 * a stop function.
 */
export function watchNodeNetworkStates(kube: KubeClient, reporters: Map<string, NnsReporter>, logger?: Logger): () => void {
  let stopped = false;
  let abort: (() => void) | undefined;
  let retry: NodeJS.Timeout | undefined;
  const start = (): void => {
    if (stopped) return;
    abort = kube.watch<NodeNetworkState>(
      NNS_PATH,
      (e) => {
        const r = reporters.get(e.object?.metadata?.name ?? '');
        if (r && e.type !== 'BOOKMARK' && e.type !== 'ERROR') r.onWatchEvent(e.type, e.object);
      },
      (err) => {
        if (stopped) return;
        if (err) logger?.debug({ err: err.message }, 'NodeNetworkState watch ended; restarting');
        retry = setTimeout(start, err ? 2_000 : 200);
        retry.unref();
      },
    );
  };
  start();
  return () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    abort?.();
  };
}
