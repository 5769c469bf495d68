/**
 * Helpers of the rollout suites: real node agents on the suite's simulated nodes (through
 * test/agent/support.ts), a workflow worker running the real rollout workflow with the real
 * cluster-side activities on a queue of the suite's own, policies created in the real apiserver, and
 * a node-side witness: nmstatectl is wrapped by a script that logs each `apply` / `rollback`
 * start and end with the network namespace it ran in, so concurrency and "applied exactly once" are
 * counted where they happen, not from the workflow's bookkeeping.
 */
import { afterAll, beforeAll } from '@jest/globals';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { createClusterActivities } from '../../activities/cluster/index.ts';
import type { NncpSpec, NodeNetworkConfigurationPolicy } from '../../crd/nncp.ts';
import { NNCP } from '../../crd/nncp.ts';
import { LABEL_POLICY, NNCE, type NodeNetworkConfigurationEnactment } from '../../crd/nnce.ts';
import type { NodeMode } from '../../hack/cluster/nodes.ts';
import { tools } from '../../hack/cluster/tools.ts';
import { rolloutWorkflowId } from '../../workflows/ids.ts';
import { progressQuery } from '../../workflows/messages.ts';
import type { RolloutOptions } from '../../workflows/rollout-options.ts';
import type { RolloutProgress } from '../../crd/progress.ts';
import { policyRollout, type PolicyRolloutInput } from '../../workflows/policy-rollout.ts';
import { useAgents, type AgentSuite } from '../agent/support.ts';

/** Probe settings of test policies that fit the simulated fabric (its DNS answers knmstate.test only). */
export const TEST_POLICY_PROBES: NonNullable<NncpSpec['probes']> = {
  ping: { timeout: '3s' },
  dns: { host: 'gateway.knmstate.test', timeout: '3s' },
  apiServer: { timeout: '3s' },
  nodeReadiness: { timeout: '3s' },
};

/** A test policy: selects only the suite's own nodes (other suites' nodes share the apiserver), with {@link TEST_POLICY_PROBES}. */
export function testPolicy(group: string, spec: NncpSpec): NncpSpec {
  return { probes: TEST_POLICY_PROBES, ...spec, nodeSelector: { 'knmstate.io/group': group, ...spec.nodeSelector } };
}

/** Engine settings that keep test failures short. */
export const TEST_ROLLOUT_OPTIONS: RolloutOptions = { maxAttempts: 2, retryIntervalMs: 200, maxRetryIntervalMs: 500, nodeStartTimeoutMs: 5_000, heartbeatTimeoutMs: 30_000, statusIntervalMs: 100 };

/** One line of the node-side witness log. */
export interface WitnessEvent {
  t: number;
  what: 'start' | 'end';
  op: string;
  netns: string;
}

/** What {@link useRollout} gives a test file. */
export interface RolloutSuite extends AgentSuite {
  queue: string;
  kc: KubeConfig;
  objects: CustomObjectsApi;
  /** Creates (or replaces the spec of) an NNCP; returns its generation and uid. */
  applyPolicy(name: string, spec: NncpSpec): Promise<{ generation: number; uid: string }>;
  /** Starts the policy's rollout workflow on the suite's queue. */
  startRollout(name: string, spec: NncpSpec, opts?: { generation?: number; uid?: string; options?: RolloutOptions; approvedWave?: number }): Promise<WorkflowHandleWithFirstExecutionRunId<typeof policyRollout>>;
  /** Reads an NNCP. */
  policyObject(name: string): Promise<NodeNetworkConfigurationPolicy>;
  /** Lists a policy's enactments. */
  enactments(policy: string): Promise<NodeNetworkConfigurationEnactment[]>;
  /** Queries a rollout's progress. */
  progress(name: string): Promise<RolloutProgress>;
  /** The witness log: apply/rollback starts and ends per namespace. */
  witness(): WitnessEvent[];
  /** Restarts the workflow worker (the test kills it mid-rollout). */
  stopWorker(): Promise<void>;
  startWorker(): Promise<void>;
  nodeNames: string[];
}

/** Most apply operations running at once, from the witness log (by namespace). */
export function maxConcurrent(events: WitnessEvent[], ops: string[] = ['apply']): number {
  let cur = 0;
  let max = 0;
  for (const e of events.filter((x) => ops.includes(x.op)).sort((a, b) => a.t - b.t || (a.what === 'end' ? -1 : 1))) {
    cur += e.what === 'start' ? 1 : -1;
    max = Math.max(max, cur);
  }
  return max;
}

/** Number of apply operations per namespace. */
export function appliesPerNode(events: WitnessEvent[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of events) if (e.op === 'apply' && e.what === 'start') m.set(e.netns, (m.get(e.netns) ?? 0) + 1);
  return m;
}

/** Waits until `fn` returns a truthy value; throws the last value seen after `timeoutMs`. */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 30_000, what = 'condition'): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastErr: unknown;
  for (;;) {
    try {
      last = await fn();
      if (last) return last as Exclude<T, false | null | undefined | 0 | ''>;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)}${lastErr ? `; last error: ${lastErr instanceof Error ? lastErr.message : JSON.stringify(lastErr)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A node-side witness: an nmstatectl wrapper and the log it writes. */
export interface Witness {
  /** Path of the wrapper to give the agents as their nmstatectl. */
  nmstatectl: string;
  /** The events logged so far. */
  read(): WitnessEvent[];
}

/**
 * Writes the witness wrapper around the real nmstatectl into `dir`. A kernel-mode apply takes ~35 ms:
 * `holdApplySeconds` (default 1) holds each apply so that applies running at once overlap visibly even
 * when their starts drift apart on a loaded machine.
 */
export function createWitness(dir: string, opts: { real?: string; holdApplySeconds?: number } = {}): Witness {
  const real = opts.real ?? tools().nmstatectl;
  const hold = opts.holdApplySeconds ?? 1;
  const log = join(dir, 'witness.log');
  const path = join(dir, 'nmstatectl');
  writeFileSync(
    path,
    `#!/bin/bash
# Test witness: logs apply/rollback start and end with this namespace, then runs the real nmstatectl.
op=""
for a in "$@"; do case "$a" in apply|set|rollback|commit) op=$a; break;; esac; done
[ "$op" = set ] && op=apply
if [ -z "$op" ]; then exec ${JSON.stringify(real)} "$@"; fi
ns=$(ip netns identify $$ 2>/dev/null); ns=\${ns:-host}
echo "$(date +%s%N) start $op $ns" >> ${JSON.stringify(log)}
${hold > 0 ? `[ "$op" = apply ] && sleep ${hold}\n` : ''}${JSON.stringify(real)} "$@"; rc=$?
echo "$(date +%s%N) end $op $ns" >> ${JSON.stringify(log)}
exit $rc
`,
  );
  chmodSync(path, 0o755);
  return {
    nmstatectl: path,
    read: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => {
              const [t, what, op, netns] = l.split(' ');
              return { t: Number(BigInt(t!) / 1000n) / 1000, what: what as 'start' | 'end', op: op!, netns: netns! };
            })
        : [],
  };
}

/**
 * A node group of `count` nodes with real agents (nmstatectl behind the witness), and the rollout
 * workflow worker with the cluster activities on a queue of this suite's own.
 */
export function useRollout(group: string, count: number, opts: { nodeMode?: NodeMode } = {}): RolloutSuite {
  const dir = mkdtempSync(join(tmpdir(), `knmstate-rollout-${group}-`));
  const witness = createWitness(dir);
  const s = useAgents(group, count, {
    ...(opts.nodeMode ? { nodeMode: opts.nodeMode } : {}),
    nmstatectl: witness.nmstatectl,
  }) as RolloutSuite;
  let connection: NativeConnection | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;

  afterAll(async () => {
    await s.stopWorker?.();
    await connection?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  beforeAll(async () => {
    const { t } = s;
    s.nodeNames = t.nodes.nodes.map((n) => n.name);
    s.kc = t.kc;
    s.objects = t.kc.makeApiClient(CustomObjectsApi);
    s.queue = `knmstate.test.rollout.${group}.${t.cluster.run.id}`;
    connection = await NativeConnection.connect({ address: t.cluster.info.temporal.address });
    const activities = createClusterActivities({ kubeConfig: t.kc });
    s.startWorker = async () => {
      worker = await Worker.create({
        connection: connection!,
        namespace: t.cluster.info.temporal.namespace,
        taskQueue: s.queue,
        workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
        activities,
      });
      running = worker.run();
    };
    s.stopWorker = async () => {
      if (worker?.getState() === 'RUNNING') worker.shutdown();
      await running;
    };
    await s.startWorker();
    s.witness = () => witness.read();
    s.applyPolicy = async (name, spec) => {
      const body: NodeNetworkConfigurationPolicy = { apiVersion: 'nmstate.io/v1', kind: 'NodeNetworkConfigurationPolicy', metadata: { name }, spec };
      const ref = { group: NNCP.group, version: 'v1', plural: NNCP.plural };
      // Create, or replace the spec of the current object; the rollout writes its status meanwhile, so a
      // replace that meets a newer resourceVersion (409) reads again and retries.
      for (let attempt = 0; ; attempt++) {
        let cur: NodeNetworkConfigurationPolicy | undefined;
        try {
          cur = (await s.objects.getClusterCustomObject({ ...ref, name })) as NodeNetworkConfigurationPolicy;
        } catch (err) {
          if ((err as { code?: number }).code !== 404) throw err;
        }
        try {
          const obj = (cur
            ? await s.objects.replaceClusterCustomObject({ ...ref, name, body: { ...cur, spec } })
            : await s.objects.createClusterCustomObject({ ...ref, body })) as NodeNetworkConfigurationPolicy;
          return { generation: obj.metadata.generation ?? 1, uid: obj.metadata.uid ?? '' };
        } catch (err) {
          if ((err as { code?: number }).code !== 409 || attempt >= 10) throw err;
        }
      }
    };
    s.startRollout = async (name, spec, o = {}) => {
      const input: PolicyRolloutInput = {
        policy: name,
        revision: { generation: o.generation ?? 1, spec, ...(o.uid ? { uid: o.uid } : {}) },
        options: o.options ?? TEST_ROLLOUT_OPTIONS,
        ...(o.approvedWave !== undefined ? { approvedWave: o.approvedWave } : {}),
      };
      return t.client.workflow.start(policyRollout, { taskQueue: s.queue, workflowId: rolloutWorkflowId(name), args: [input] });
    };
    s.policyObject = async (name) => (await s.objects.getClusterCustomObject({ group: NNCP.group, version: 'v1', plural: NNCP.plural, name })) as NodeNetworkConfigurationPolicy;
    s.enactments = async (policy) =>
      ((await s.objects.listClusterCustomObject({ group: NNCE.group, version: NNCE.version, plural: NNCE.plural, labelSelector: `${LABEL_POLICY}=${policy}` })) as { items: NodeNetworkConfigurationEnactment[] }).items;
    s.progress = (name) => t.client.workflow.getHandle(rolloutWorkflowId(name)).query(progressQuery);
  }, 90_000);
  return s;
}
