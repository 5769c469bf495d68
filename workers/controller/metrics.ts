/**
 * The controller's Prometheus metrics (prom-client), served on `GET /metrics` of their own port
 * (`KNMSTATE_METRICS_PORT`, 9782 by default; see docs/controller.md for every series).
 *
 * Gauges are computed at scrape time (collect callbacks) from the reconciler's informer caches
 * (NNCPs, NNCEs) and an informer on NodeNetworkStates that this module owns, by the pure functions
 * of ./metrics-series.ts: a scrape shows what the caches hold now, never a value left over from a
 * deleted object. Counters (reconciles, node failures) and the node apply duration histogram count
 * events since the process started; node completions are read from `status.rollout.nodes`
 * (startTime → completionTime) as the NNCP informer sees each status update. Each controller has a
 * registry of its own (two controllers in one test process do not collide), with Node's default
 * process metrics.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CustomObjectsApi, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { NNS } from '../../crd/nns.ts';
import {
  enactmentsStatus,
  featuresApplied,
  networkInterfaces,
  NodeCompletions,
  pausedRollouts,
  policiesStatus,
  rolloutsByPhase,
  routes,
  type NetworkStateLike,
  type PolicyLike,
  type Series,
} from './metrics-series.ts';
import type { Reconciler } from './reconciler.ts';
import { ResourceWatch } from './resource-watch.ts';

/** Buckets of `knmstate_node_apply_duration_seconds`: a kernel-mode apply takes ~0.3 s, a NetworkManager one under load tens of seconds. */
export const APPLY_DURATION_BUCKETS = [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600];

/** What {@link startControllerMetrics} needs. */
export interface ControllerMetricsOptions {
  reconciler: Reconciler;
  kubeConfig: KubeConfig;
  logger: Logger;
  /** Port of `/metrics`; 0 picks a free one (tests). */
  port: number;
  /** @default '0.0.0.0' */
  host?: string;
  /** Node completions before this time (ms) are not counted. @default now */
  sinceMs?: number;
}

/** The metrics of a running controller. */
export interface ControllerMetrics {
  registry: Registry;
  /** The port `/metrics` listens on. */
  port: number;
  /** The NodeNetworkState informer behind the interface and route gauges. */
  nns: ResourceWatch<KubernetesObject & NetworkStateLike>;
  /** Stops the NNS informer and closes the endpoint. */
  stop(): Promise<void>;
}

/** Replaces a gauge's series by `series` (labels absent from it vanish). */
function setAll(g: Gauge, series: readonly Series[]): void {
  g.reset();
  for (const s of series) g.set(s.labels, s.value);
}

/**
 * Registers the metrics on a new registry, starts the NNS informer and the `/metrics` endpoint.
 * Call before the reconciler starts, so that its first list marks the node completions already in
 * the statuses as seen.
 */
export async function startControllerMetrics(o: ControllerMetricsOptions): Promise<ControllerMetrics> {
  const r = o.reconciler;
  const registry = new Registry();
  const registers = [registry];
  const objects = o.kubeConfig.makeApiClient(CustomObjectsApi);
  const nns = new ResourceWatch<KubernetesObject & NetworkStateLike>(
    'nns',
    o.kubeConfig,
    `/apis/${NNS.group}/${NNS.version}/${NNS.plural}`,
    () => objects.listClusterCustomObject({ group: NNS.group, version: NNS.version, plural: NNS.plural }) as Promise<KubernetesListObject<KubernetesObject & NetworkStateLike>>,
    o.logger,
  );
  const policies = (): PolicyLike[] => r.nncps.list() as PolicyLike[];

  // The original's five gauges.
  new Gauge({ name: 'kubernetes_nmstate_features_applied', help: 'nmstate features used by any enactment (1 per feature)', labelNames: ['name'], registers, collect() { setAll(this, featuresApplied(r.nnces.list())); } });
  new Gauge({ name: 'kubernetes_nmstate_network_interfaces', help: 'Interfaces per node and type, from the NodeNetworkStates', labelNames: ['type', 'node'], registers, collect() { setAll(this, networkInterfaces(nns.list())); } });
  new Gauge({ name: 'kubernetes_nmstate_routes', help: 'Running routes per node, IP stack and type (static: the destination is configured)', labelNames: ['node', 'ip_stack', 'type'], registers, collect() { setAll(this, routes(nns.list())); } });
  new Gauge({ name: 'kubernetes_nmstate_policies_status', help: 'NodeNetworkConfigurationPolicies by their first True condition', labelNames: ['status'], registers, collect() { setAll(this, policiesStatus(policies())); } });
  new Gauge({ name: 'kubernetes_nmstate_enactments_status', help: 'NodeNetworkConfigurationEnactments per node by their first True condition', labelNames: ['node', 'status'], registers, collect() { setAll(this, enactmentsStatus(r.nnces.list())); } });

  // Rollouts.
  new Gauge({ name: 'knmstate_rollouts', help: 'Policies by status.rollout.phase', labelNames: ['phase'], registers, collect() { setAll(this, rolloutsByPhase(policies())); } });
  new Gauge({ name: 'knmstate_rollouts_paused', help: 'Rollouts waiting for a person: spec.rollout.paused (spec) or a manual gate (gate)', labelNames: ['reason'], registers, collect() { setAll(this, pausedRollouts(policies())); } });
  const duration = new Histogram({ name: 'knmstate_node_apply_duration_seconds', help: 'A node rollout from its start to Succeeded or Failed (status.rollout.nodes startTime to completionTime), all attempts', labelNames: ['phase'], buckets: APPLY_DURATION_BUCKETS, registers });
  const failures = new Counter({ name: 'knmstate_node_failures_total', help: 'Nodes that reached Failed in a rollout', registers });
  const completions = new NodeCompletions(o.sinceMs ?? Date.now());
  const observe = (p: PolicyLike): void => {
    for (const c of completions.update(p)) {
      duration.observe({ phase: c.phase }, c.seconds);
      if (c.phase === 'Failed') failures.inc();
    }
  };
  r.nncps.on('add', observe);
  r.nncps.on('update', observe);
  r.nncps.on('delete', (p) => completions.forget(p));

  // The controller itself.
  new Counter({
    name: 'knmstate_controller_reconciles_total',
    help: 'Reconciles that acted, by action',
    labelNames: ['action'],
    registers,
    collect() {
      this.reset();
      for (const [action, n] of Object.entries(r.counts)) if (action !== 'errors') this.inc({ action }, n);
    },
  });
  new Counter({ name: 'knmstate_controller_reconcile_errors_total', help: 'Reconciles that failed (retried with back-off)', registers, collect() { this.reset(); this.inc(r.counts.errors); } });
  new Gauge({ name: 'knmstate_controller_queue_depth', help: 'Policies waiting in the work queue', registers, collect() { this.set(r.queue.size); } });
  const watches = (): ResourceWatch<KubernetesObject>[] => [r.nncps, r.nodes, r.nnces, nns] as ResourceWatch<KubernetesObject>[];
  new Gauge({ name: 'knmstate_controller_informer_up', help: '1 when the informer has listed and watches without error', labelNames: ['informer'], registers, collect() { setAll(this, watches().map((w) => ({ labels: { informer: w.name }, value: w.health().synced && w.health().ok ? 1 : 0 }))); } });
  new Counter({
    name: 'knmstate_controller_informer_restarts_total',
    help: 'Informer restarts after a watch error',
    labelNames: ['informer'],
    registers,
    collect() {
      this.reset();
      for (const w of watches()) this.inc({ informer: w.name }, w.health().restarts);
    },
  });
  collectDefaultMetrics({ register: registry });

  await nns.start();
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  o.logger.info({ port }, 'metrics on /metrics');
  return {
    registry,
    port,
    nns,
    async stop() {
      await nns.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
