/**
 * The controller's I/O layer: informers on NNCPs, Nodes and NNCEs feed a keyed work queue of policy
 * names; each key is reconciled from what the caches hold now (level-based), by the pure decisions of
 * ./rollout-decision.ts and ./node-match.ts, and carried out through Temporal (./rollouts.ts) and the
 * cluster activities (deleteEnactments, reportStatus: the same code the workflow's activities run).
 *
 *   NNCP added / generation changed   → signal-with-start its rollout (skipped once its status shows the generation ended)
 *   annotation rollout-approved-wave  → promote signal
 *   NNCP deleted (or re-created)      → cancel its rollout, delete its NNCEs
 *   Node labels changed / added / gone → the policies whose match changed: stale NNCEs deleted; once the
 *                                        run ended, a new run of the same generation (applies the
 *                                        gained nodes, recomputes the counts)
 *
 * A failed reconcile (Temporal or the apiserver unreachable) is retried with back-off, 1 s up to 30 s.
 */
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type KubernetesListObject, type KubernetesObject, type V1Node } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ClusterActivities } from '../../activities/cluster/contract.ts';
import { LABEL_NODE, LABEL_POLICY, NNCE, type NodeNetworkConfigurationEnactment } from '../../crd/nnce.ts';
import { ANNOTATION_APPROVED_WAVE, NNCP, type NodeNetworkConfigurationPolicy } from '../../crd/nncp.ts';
import { rolloutWorkflowId } from '../../workflows/ids.ts';
import { KeyedQueue, type ProcessResult } from './keyed-queue.ts';
import { matchingNodeNames, policiesAffectedByNode, staleEnactmentNodes } from './node-match.ts';
import { approvedWaveOf, decideRollout, shouldPromote, type PolicyMemory, type PolicySnapshot, type RolloutDecision } from './rollout-decision.ts';
import { ResourceWatch, type WatchHealth } from './resource-watch.ts';
import type { Rollouts } from './rollouts.ts';

/** Dependencies and settings of {@link Reconciler}. */
export interface ReconcilerOptions {
  kubeConfig: KubeConfig;
  rollouts: Rollouts;
  /** Only `deleteEnactments` and `reportStatus` are used. */
  cluster: Pick<ClusterActivities, 'deleteEnactments' | 'reportStatus'>;
  logger: Logger;
  /** Policies reconciled at once. @default 8 */
  concurrency?: number;
  /** How long a delete waits for the cancelled rollout to close before deleting the NNCEs. @default 10000 */
  cancelWaitMs?: number;
  /** While a run is still open when a re-run is due, look again after this long. @default 1000 */
  rerunPollMs?: number;
  /**
   * A signalled generation whose status is not final yet: this often, make sure a run is still open
   * (a run terminated by hand, or failed, is started again). @default 30000
   */
  openRunCheckMs?: number;
  /**
   * Label selector of the NNCPs this controller handles (e.g. a test's own); absent: all. With a
   * selector, enactments of a policy it never saw are left alone (another controller's).
   */
  policySelector?: string;
}

/** An NNCP as the informer holds it (Kubernetes metadata, knmstate's spec and status). */
type Nncp = KubernetesObject & Pick<NodeNetworkConfigurationPolicy, 'spec' | 'status'> & { metadata: NonNullable<KubernetesObject['metadata']> };
/** An NNCE as the informer holds it. */
type Nnce = KubernetesObject & Pick<NodeNetworkConfigurationEnactment, 'status'>;

/** Specs remembered per policy (generations), for steering-only edits. */
const REMEMBERED_SPECS = 8;

/** Reconciles every policy of the cluster against its rollout workflow. */
export class Reconciler {
  readonly #o: Required<Omit<ReconcilerOptions, 'kubeConfig' | 'policySelector'>> & Pick<ReconcilerOptions, 'policySelector'>;
  readonly nncps: ResourceWatch<Nncp>;
  readonly nodes: ResourceWatch<V1Node>;
  readonly nnces: ResourceWatch<Nnce>;
  readonly queue: KeyedQueue;
  readonly #memory = new Map<string, PolicyMemory>();
  readonly #nodeLabels = new Map<string, Record<string, string>>();
  #started = false;
  /** Reconciles done, by action (for tests and logs). */
  readonly counts = { signal: 0, rerun: 0, refreshStatus: 0, promote: 0, cancel: 0, deleteEnactments: 0, errors: 0 };

  constructor(o: ReconcilerOptions) {
    this.#o = { concurrency: 8, cancelWaitMs: 10_000, rerunPollMs: 1_000, openRunCheckMs: 30_000, ...o };
    const kc = o.kubeConfig;
    const objects = kc.makeApiClient(CustomObjectsApi);
    const core = kc.makeApiClient(CoreV1Api);
    const log = o.logger;
    this.nncps = new ResourceWatch<Nncp>(
      'nncp',
      kc,
      `/apis/${NNCP.group}/${NNCP.version}/${NNCP.plural}`,
      () => objects.listClusterCustomObject({ group: NNCP.group, version: NNCP.version, plural: NNCP.plural, ...(o.policySelector ? { labelSelector: o.policySelector } : {}) }) as Promise<KubernetesListObject<Nncp>>,
      log,
      o.policySelector,
    );
    this.nodes = new ResourceWatch<V1Node>('node', kc, '/api/v1/nodes', () => core.listNode(), log);
    this.nnces = new ResourceWatch<Nnce>(
      'nnce',
      kc,
      `/apis/${NNCE.group}/${NNCE.version}/${NNCE.plural}`,
      () => objects.listClusterCustomObject({ group: NNCE.group, version: NNCE.version, plural: NNCE.plural }) as Promise<KubernetesListObject<Nnce>>,
      log,
    );
    this.queue = new KeyedQueue({
      concurrency: this.#o.concurrency,
      process: (policy) => this.reconcile(policy),
      onError: (policy, err, failures, retryInMs) => {
        this.counts.errors++;
        log.warn({ policy, err: err instanceof Error ? err.message : String(err), failures, retryInMs }, 'reconcile failed; retrying');
      },
    });

    const enqueue = (policy: string | undefined): void => {
      if (policy && this.#started && this.#inScope(policy)) this.queue.add(policy);
    };
    for (const verb of ['add', 'update', 'delete'] as const) {
      this.nncps.on(verb, (p) => enqueue(p.metadata?.name));
      this.nnces.on(verb, (e) => enqueue(e.metadata?.labels?.[LABEL_POLICY]));
    }
    const nodeChanged = (name: string | undefined, after: Record<string, string> | undefined): void => {
      if (!name) return;
      const before = this.#nodeLabels.get(name);
      if (after) this.#nodeLabels.set(name, after);
      else this.#nodeLabels.delete(name);
      if (!this.#started) return;
      const policies = this.nncps.list().map((p) => ({ name: p.metadata?.name ?? '', spec: p.spec }));
      for (const { policy, change } of policiesAffectedByNode(policies, before, after)) {
        log.info({ node: name, policy, change }, 'node match changed');
        this.queue.add(policy);
      }
      // A deleted node's enactments go, whatever their policy (the harness has no garbage collector).
      if (!after) for (const e of this.nnces.list()) if (e.metadata?.labels?.[LABEL_NODE] === name) enqueue(e.metadata.labels[LABEL_POLICY]);
    };
    this.nodes.on('add', (n) => nodeChanged(n.metadata?.name, n.metadata?.labels ?? {}));
    this.nodes.on('update', (n) => nodeChanged(n.metadata?.name, n.metadata?.labels ?? {}));
    this.nodes.on('delete', (n) => nodeChanged(n.metadata?.name, undefined));
  }

  /**
   * Starts the informers, then (once the three caches hold their first list) queues every policy
   * and every policy an enactment names: a start, or a restart, converges from what exists.
   */
  async start(): Promise<void> {
    await Promise.all([this.nncps.start(), this.nodes.start(), this.nnces.start()]);
    // An informer whose first list failed retries by itself; reconcile only on whole caches.
    while (![this.nncps, this.nodes, this.nnces].every((w) => w.health().synced)) {
      await new Promise((r) => setTimeout(r, 200));
      if (this.#stopping) return;
    }
    for (const n of this.nodes.list()) if (n.metadata?.name) this.#nodeLabels.set(n.metadata.name, n.metadata.labels ?? {});
    this.#started = true;
    const names = new Set<string>();
    for (const p of this.nncps.list()) if (p.metadata?.name) names.add(p.metadata.name);
    for (const e of this.nnces.list()) if (e.metadata?.labels?.[LABEL_POLICY]) names.add(e.metadata.labels[LABEL_POLICY]);
    for (const n of [...names].sort()) if (this.#inScope(n)) this.queue.add(n);
  }

  #stopping = false;

  /** Stops the informers and waits for the reconciles in progress. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#started = false;
    await Promise.all([this.nncps.stop(), this.nodes.stop(), this.nnces.stop()]);
    await this.queue.stop();
  }

  /** The informers' state, for the health endpoint. */
  health(): { ok: boolean; started: boolean; informers: Record<string, WatchHealth> } {
    const informers = { nncp: this.nncps.health(), node: this.nodes.health(), nnce: this.nnces.health() };
    return { ok: this.#started && Object.values(informers).every((h) => h.synced && h.ok), started: this.#started, informers };
  }

  /** Whether this controller handles `policy`: every policy without a selector, else those it saw. */
  #inScope(policy: string): boolean {
    return !this.#o.policySelector || this.nncps.get(policy) !== undefined || this.#memory.has(policy);
  }

  /** Node names of `policy`'s enactments in the cache. */
  #enactmentNodes(policy: string): string[] {
    return this.nnces
      .list()
      .filter((e) => e.metadata?.labels?.[LABEL_POLICY] === policy)
      .map((e) => e.metadata?.labels?.[LABEL_NODE] ?? '')
      .filter(Boolean);
  }

  /** Brings one policy's rollout and enactments in line with what the caches hold. */
  async reconcile(policy: string): Promise<ProcessResult | void> {
    const log = this.#o.logger.child({ policy });
    const obj = this.nncps.get(policy);
    const memory = this.#memory.get(policy);
    if (!obj || obj.metadata.deletionTimestamp) {
      if (this.#inScope(policy)) await this.#forget(policy, log, 'policy deleted');
      return;
    }
    if (memory?.uid && obj.metadata.uid && memory.uid !== obj.metadata.uid) await this.#forget(policy, log, 'policy re-created');

    const m: PolicyMemory = this.#memory.get(policy) ?? { specs: [] };
    this.#memory.set(policy, m);
    if (obj.metadata.uid) m.uid = obj.metadata.uid;
    const snap: PolicySnapshot = {
      name: policy,
      generation: obj.metadata.generation ?? 1,
      spec: obj.spec,
      ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
      ...(obj.status ? { status: obj.status } : {}),
      ...(obj.metadata.annotations ? { annotations: obj.metadata.annotations } : {}),
    };
    const matching = matchingNodeNames(obj.spec, this.nodes.list().map((n) => ({ name: n.metadata?.name ?? '', labels: n.metadata?.labels })));
    const decision = decideRollout(snap, matching, m);
    const wave = approvedWaveOf(snap.annotations, ANNOTATION_APPROVED_WAVE);
    let result: ProcessResult | void = undefined;
    if (decision.action !== 'none') {
      log.info({ action: decision.action, reason: decision.reason, generation: snap.generation }, 'reconcile');
      result = await this.#carryOut(decision, snap, m, wave);
      m.checkedAt = Date.now();
    } else if (decision.awaitingRun) {
      result = await this.#checkOpenRun(snap, m, wave, log);
    }
    if (!m.specs.some((s) => s.generation === snap.generation)) {
      m.specs.push({ generation: snap.generation, spec: snap.spec });
      if (m.specs.length > REMEMBERED_SPECS) m.specs.shift();
    }
    if (wave !== undefined && shouldPromote(snap, wave, m)) {
      await this.#o.rollouts.promote(policy, wave);
      m.promoted = wave;
      this.counts.promote++;
      log.info({ wave }, 'promoted');
    }
    const stale = staleEnactmentNodes(this.#enactmentNodes(policy), matching);
    if (stale.length) {
      const r = await this.#o.cluster.deleteEnactments({ policy, keepNodes: matching });
      this.counts.deleteEnactments++;
      log.info({ nodes: stale, deleted: r.deleted }, 'enactments of nodes that no longer match deleted');
    }
    return result;
  }

  async #carryOut(d: Exclude<RolloutDecision, { action: 'none' }>, p: PolicySnapshot, m: PolicyMemory, wave: number | undefined): Promise<ProcessResult | void> {
    const r = this.#o.rollouts;
    const revision = { generation: p.generation, spec: p.spec, ...(p.uid ? { uid: p.uid } : {}) };
    switch (d.action) {
      case 'signal':
        await r.signalWithStart(p.name, revision, wave);
        m.signalled = p.generation;
        this.counts.signal++;
        return;
      case 'rerun':
        // The run that wrote the final status may not have closed yet: a signal would reach it and be
        // ignored (same generation). Look again shortly.
        if (await r.isRunning(p.name)) return { requeueAfterMs: this.#o.rerunPollMs };
        await r.signalWithStart(p.name, revision, wave);
        m.signalled = p.generation;
        m.rerunFor = d.key;
        this.counts.rerun++;
        return;
      case 'refreshStatus': {
        const progress = (await r.isRunning(p.name)) ? undefined : await r.progress(p.name);
        if (!progress || progress.generation !== d.fromGeneration) {
          // Still running (it steers itself), or no readable run: hand the revision to the workflow.
          await r.signalWithStart(p.name, revision, wave);
          m.signalled = p.generation;
          this.counts.signal++;
          return;
        }
        const paused = p.spec.rollout?.paused ?? false;
        await this.#o.cluster.reportStatus({
          policy: p.name,
          ...(p.uid ? { uid: p.uid } : {}),
          workflowId: rolloutWorkflowId(p.name),
          generation: p.generation,
          progress: { ...progress, generation: p.generation, paused },
          enactments: [],
        });
        m.signalled = p.generation;
        this.counts.refreshStatus++;
        return;
      }
    }
  }

  /**
   * The generation was signalled and its status is not final: every `openRunCheckMs`, make sure a run
   * is open; one that closed without a final status (terminated or failed) is started again.
   */
  async #checkOpenRun(p: PolicySnapshot, m: PolicyMemory, wave: number | undefined, log: Logger): Promise<ProcessResult> {
    const every = this.#o.openRunCheckMs;
    const since = Date.now() - (m.checkedAt ?? 0);
    if (since < every) return { requeueAfterMs: every - since };
    m.checkedAt = Date.now();
    if (!(await this.#o.rollouts.isRunning(p.name))) {
      log.warn({ generation: p.generation }, 'no open run and no final status; signalling again');
      await this.#o.rollouts.signalWithStart(p.name, { generation: p.generation, spec: p.spec, ...(p.uid ? { uid: p.uid } : {}) }, wave);
      this.counts.signal++;
    }
    return { requeueAfterMs: every };
  }

  /** A policy gone (or re-created under a new uid): cancel its rollout, delete its enactments. */
  async #forget(policy: string, log: Logger, why: string): Promise<void> {
    if (await this.#o.rollouts.cancel(policy, this.#o.cancelWaitMs)) {
      this.counts.cancel++;
      log.info({ why }, 'rollout cancelled');
    }
    const have = this.#enactmentNodes(policy);
    if (have.length) {
      const r = await this.#o.cluster.deleteEnactments({ policy });
      this.counts.deleteEnactments++;
      log.info({ why, deleted: r.deleted }, 'enactments deleted');
    }
    this.#memory.delete(policy);
  }
}
