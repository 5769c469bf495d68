/**
 * A local knmstate cluster: Temporal dev server + etcd + kube-apiserver, and groups of simulated
 * nodes. Used by the tests (one control plane per test run, one node group per test file), the demo
 * and the benchmarks. See hack/cluster/README.md.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Run, sweepStaleRuns } from './run.ts';
import { startTemporal, type TemporalInfo, type TemporalOptions } from './temporal.ts';
import { startEtcd, startKubeApiserver, type KubeInfo } from './kube.ts';
import { createNodeGroup, type NodeGroup, type NodeGroupOptions } from './nodes.ts';
import { tools, type Tools } from './tools.ts';
import { mintUser, type MintedUser } from './users.ts';
import type { V1PolicyRule } from '@kubernetes/client-node';

/** What a client needs to use a running cluster; stored as the run's cluster.json. */
export interface ClusterInfo {
  runId: string;
  runDir: string;
  temporal: TemporalInfo;
  kube: KubeInfo;
  /** Milliseconds the control plane took to start. */
  startupMs: number;
}

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** Run id (lowercase letters and digits); random by default. */
  id?: string;
  /**
   * Process whose death makes the run stale (a reaper then tears it down); `null` for a detached
   * cluster that lives until `cluster down`. @default this process
   */
  ownerPid?: number | null;
  temporal?: TemporalOptions;
}

const reaperPath = fileURLToPath(new URL('./reaper.ts', import.meta.url));

/** A running cluster. */
export class Cluster {
  readonly run: Run;
  readonly info: ClusterInfo;
  readonly groups: NodeGroup[] = [];

  constructor(run: Run, info: ClusterInfo) {
    this.run = run;
    this.info = info;
  }

  get tools(): Tools {
    return tools();
  }

  /** Adds a group of simulated nodes (and their Node objects). */
  async addNodes(opts: Omit<NodeGroupOptions, 'dnsmasqBin' | 'kubeconfig'> & { nodeObjects?: boolean }): Promise<NodeGroup> {
    const group = await createNodeGroup(this.run, {
      ...opts,
      dnsmasqBin: tools().dnsmasq,
      ...(opts.nodeObjects === false ? {} : { kubeconfig: this.info.kube.kubeconfig }),
    });
    this.groups.push(group);
    return group;
  }

  /** A least-privilege user bound to exactly `rules`, with its own kubeconfig (for RBAC tests). */
  mintUser(name: string, rules: V1PolicyRule[]): Promise<MintedUser> {
    return mintUser(this.run, this.info.kube, name, rules);
  }

  /** Tears down the whole run: nodes, servers, files. */
  async teardown(): Promise<void> {
    await this.run.teardown();
  }
}

/**
 * Starts the control plane. Sweeps stale runs first, so a run killed earlier leaves nothing behind
 * for long.
 */
export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const t = tools();
  await sweepStaleRuns();
  const started = performance.now();
  const run = Run.create({ ...(opts.id ? { id: opts.id } : {}), ownerPid: opts.ownerPid === undefined ? process.pid : opts.ownerPid });
  try {
    if (run.meta().owner) startReaper(run);
    const [temporal, kube] = await Promise.all([
      startTemporal(run, t.temporal, opts.temporal),
      startEtcd(run, t.etcd).then((etcdUrl) => startKubeApiserver(run, t.kubeApiserver, etcdUrl)),
    ]);
    const info: ClusterInfo = { runId: run.id, runDir: run.dir, temporal, kube, startupMs: Math.round(performance.now() - started) };
    run.writeJson('cluster.json', info);
    return new Cluster(run, info);
  } catch (err) {
    await run.teardown().catch(() => undefined);
    throw err;
  }
}

/** Attaches to a running cluster by run id (e.g. from KNMSTATE_RUN, set by the test setup). */
export function openCluster(id = process.env.KNMSTATE_RUN): Cluster {
  if (!id) throw new Error('no cluster: KNMSTATE_RUN is not set (start one with `npm run cluster -- up`)');
  const run = Run.open(id);
  const info = run.readJson<ClusterInfo>('cluster.json');
  if (!info) throw new Error(`run ${id} has no cluster.json: its control plane did not finish starting`);
  return new Cluster(run, info);
}

/** Starts a detached watchdog that tears the run down when its owner dies without doing so. */
function startReaper(run: Run): void {
  const child = spawn(process.execPath, [reaperPath, run.id], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, KNMSTATE_RUN_ROOT: run.dir.slice(0, run.dir.lastIndexOf('/')) },
  });
  child.unref();
}
