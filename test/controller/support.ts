/**
 * Helpers of the controller suites: real node agents on the suite's simulated nodes (through
 * test/agent/support.ts) behind an nmstatectl witness (each apply logged in the node where it ran, so
 * "applied once" is counted on the node side), controllers started and stopped by the test on a task
 * queue of the suite's own and handling only the suite's policies (label `knmstate.io/test-group`),
 * and the harness's kubectl: the tests drive everything through the apiserver.
 */
import { afterAll, beforeAll } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { NativeConnection } from '@temporalio/worker';
import { pino } from 'pino';
import { NNCE, type NodeNetworkConfigurationEnactment } from '../../crd/nnce.ts';
import { NNCP, type NncpSpec, type NodeNetworkConfigurationPolicy } from '../../crd/nncp.ts';
import { startController, type Controller } from '../../workers/controller/controller.ts';
import { useAgents, type AgentSuite } from '../agent/support.ts';
import { createWitness, TEST_POLICY_PROBES, TEST_ROLLOUT_OPTIONS, type WitnessEvent } from '../rollout/support.ts';

/** The label that puts a policy in a suite's controller's scope. */
export const TEST_GROUP_LABEL = 'knmstate.io/test-group';

/** What {@link useControllerSuite} gives a test file. */
export interface ControllerSuite extends AgentSuite {
  group: string;
  queue: string;
  nodeNames: string[];
  /** Starts a controller (the test stops it, or the suite does at the end); `kubeConfig` defaults to the suite's. */
  startController(opts?: { kubeConfig?: KubeConfig }): Promise<Controller>;
  /** Runs the harness's kubectl against the suite's cluster. */
  kubectl(args: string[], input?: string): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  /** `kubectl apply` of an NNCP in the suite's scope, selecting the suite's nodes (plus `extraSelector`). */
  applyPolicy(name: string, spec: NncpSpec): Promise<void>;
  policy(name: string): Promise<NodeNetworkConfigurationPolicy | undefined>;
  /** The policy's enactments by node name. */
  enactments(policy: string): Promise<Map<string, NodeNetworkConfigurationEnactment>>;
  witness(): WitnessEvent[];
}

/** The node's condition that is True in an enactment. */
export function enactmentCondition(e: NodeNetworkConfigurationEnactment | undefined): string | undefined {
  return e?.status?.conditions?.find((c) => c.status === 'True')?.type;
}

/** A group of `count` kernel-mode nodes with real agents, and controllers on demand. */
export function useControllerSuite(group: string, count: number): ControllerSuite {
  const dir = mkdtempSync(join(tmpdir(), `knmstate-controller-${group}-`));
  // The controller suites keep nmstatectl's own pace (no hold on applies).
  const witness = createWitness(dir, { holdApplySeconds: 0 });
  const controllers: Controller[] = [];
  // Declared before useAgents' hooks so that it runs first: controllers stop before agents and nodes go.
  afterAll(async () => {
    await Promise.all(controllers.map((c) => c.stop()));
    // The suite's policies and their enactments (the harness has no garbage collector for NNCEs).
    if (s.kubectl) {
      const names = (await s.kubectl(['get', 'nncp', '-l', `${TEST_GROUP_LABEL}=${group}`, '-o', 'name'])).stdout.split('\n').filter(Boolean).map((n) => n.split('/')[1]!);
      await s.kubectl(['delete', 'nncp', '-l', `${TEST_GROUP_LABEL}=${group}`, '--wait=false']);
      if (names.length) await s.kubectl(['delete', 'nnce', '-l', `nmstate.io/policy in (${names.join(',')})`, '--wait=false']);
    }
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);
  const s = useAgents(group, count, { nodeMode: 'kernel', nmstatectl: witness.nmstatectl }) as ControllerSuite;

  beforeAll(() => {
    const { t } = s;
    s.group = group;
    s.nodeNames = t.nodes.nodes.map((n) => n.name);
    s.queue = `knmstate.test.controller.${group}.${t.cluster.run.id}`;
    const objects = t.kc.makeApiClient(CustomObjectsApi);
    const address = t.cluster.info.temporal.address;
    s.startController = async (opts = {}) => {
      const c = await startController({
        kubeConfig: opts.kubeConfig ?? t.kc,
        client: t.client,
        connect: () => NativeConnection.connect({ address }),
        namespace: t.cluster.info.temporal.namespace,
        taskQueue: s.queue,
        rolloutOptions: TEST_ROLLOUT_OPTIONS,
        policySelector: `${TEST_GROUP_LABEL}=${group}`,
        openRunCheckMs: 2_000,
        logger: pino({ level: process.env.KNMSTATE_TEST_LOG ?? 'silent' }),
      });
      controllers.push(c);
      const stop = c.stop.bind(c);
      c.stop = async () => {
        controllers.splice(controllers.indexOf(c), 1);
        await stop();
      };
      return c;
    };
    s.kubectl = async (args, input) => {
      const r = await execa(t.cluster.tools.kubectl, ['--kubeconfig', t.cluster.info.kube.kubeconfig, ...args], { reject: false, ...(input !== undefined ? { input } : {}) });
      return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
    };
    s.applyPolicy = async (name, spec) => {
      const body: NodeNetworkConfigurationPolicy = {
        apiVersion: 'nmstate.io/v1',
        kind: 'NodeNetworkConfigurationPolicy',
        metadata: { name, labels: { [TEST_GROUP_LABEL]: group } },
        spec: { probes: TEST_POLICY_PROBES, ...spec, nodeSelector: { 'knmstate.io/group': group, ...spec.nodeSelector } },
      };
      const r = await s.kubectl(['apply', '-f', '-'], JSON.stringify(body));
      if (r.exitCode !== 0) throw new Error(`kubectl apply ${name}: ${r.stderr}`);
    };
    s.policy = async (name) => {
      try {
        return (await objects.getClusterCustomObject({ group: NNCP.group, version: NNCP.version, plural: NNCP.plural, name })) as NodeNetworkConfigurationPolicy;
      } catch {
        return undefined;
      }
    };
    s.enactments = async (policy) => {
      const list = (await objects.listClusterCustomObject({ group: NNCE.group, version: NNCE.version, plural: NNCE.plural, labelSelector: `nmstate.io/policy=${policy}` })) as { items: NodeNetworkConfigurationEnactment[] };
      return new Map(list.items.map((e) => [e.metadata.labels?.['nmstate.io/node'] ?? '', e]));
    };
    s.witness = () => witness.read();
  });
  return s;
}
