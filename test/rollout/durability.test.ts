/**
 * Durability: the Temporal server of a rollout restarts on its persistent db (SQLite file) in the
 * middle of the rollout; the workers and node agents reconnect by themselves and the rollout
 * completes, each node applied once (counted on the nodes' side).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { pino } from 'pino';
import { createClusterActivities } from '../../activities/cluster/index.ts';
import { KubeClient } from '../../activities/kube/client.ts';
import { Run } from '../../hack/cluster/run.ts';
import { startTemporal } from '../../hack/cluster/temporal.ts';
import { tools } from '../../hack/cluster/tools.ts';
import { startNodeAgents, type NodeAgents } from '../../workers/node-agent-host.ts';
import { rolloutWorkflowId } from '../../workflows/ids.ts';
import { policyRollout } from '../../workflows/policy-rollout.ts';
import { useCluster } from '../support/cluster.ts';
import { appliesPerNode, createWitness, eventually, TEST_ROLLOUT_OPTIONS, testPolicy, type Witness } from './support.ts';

const GROUP = 'rdur';
const t = useCluster(GROUP, 3, { mode: 'kernel' });

let run: Run;
let dir: string;
let witness: Witness;
let agents: NodeAgents | undefined;
let agentConn: NativeConnection | undefined;
let workerConn: NativeConnection | undefined;
let kube: KubeClient | undefined;

beforeAll(() => {
  run = Run.create();
  dir = mkdtempSync(join(tmpdir(), 'knmstate-rdur-'));
  witness = createWitness(dir);
});

afterAll(async () => {
  await agents?.shutdown();
  await agentConn?.close();
  await workerConn?.close();
  kube?.close();
  await run.teardown();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('rollout durability', () => {
  it('given the Temporal server restarted on its db file mid-rollout, should complete with each node applied once', async () => {
    const dbFile = run.path('temporal.db');
    const temporal = await startTemporal(run, tools().temporal, { dbFile });
    const port = Number(temporal.address.split(':')[1]);
    agentConn = await NativeConnection.connect({ address: temporal.address });
    workerConn = await NativeConnection.connect({ address: temporal.address });
    agents = await startNodeAgents({
      connection: agentConn,
      kube: (kube = KubeClient.fromKubeconfigFile(t.cluster.info.kube.kubeconfig)),
      nodes: t.nodes.nodes.map((n) => ({ name: n.name, netns: n.netns, mode: n.mode })),
      nmstatectl: witness.nmstatectl,
      ping: t.cluster.tools.ping,
      mode: 'kernel',
      stateDir: join(dir, 'agents'),
      logger: pino({ level: process.env.KNMSTATE_TEST_LOG ?? 'silent' }),
    });
    const queue = `knmstate.test.rollout.${GROUP}.${run.id}`;
    const worker = await Worker.create({
      connection: workerConn,
      taskQueue: queue,
      workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
      activities: createClusterActivities({ kubeConfig: t.kc }),
    });
    const running = worker.run();
    try {
      const spec = testPolicy(GROUP, { desiredState: { interfaces: [{ name: 'br-dur', type: 'linux-bridge', state: 'up', bridge: { port: [] } }] }, maxUnavailable: 1 });
      const start = async (c: Client) => c.workflow.start(policyRollout, { taskQueue: queue, workflowId: rolloutWorkflowId('rdur-policy'), args: [{ policy: 'rdur-policy', revision: { generation: 1, spec }, options: TEST_ROLLOUT_OPTIONS }] });
      let conn = await Connection.connect({ address: temporal.address });
      await start(new Client({ connection: conn }));
      await conn.close();
      // The first node is applying (the witness holds each apply 1 s): restart the server now.
      await eventually(() => witness.read().some((e) => e.op === 'apply' && e.what === 'start'), 30_000, 'a first apply');
      await run.stopProc('temporal');
      await startTemporal(run, tools().temporal, { dbFile, port });
      conn = await Connection.connect({ address: temporal.address });
      try {
        const out = await new Client({ connection: conn }).workflow.getHandle<typeof policyRollout>(rolloutWorkflowId('rdur-policy')).result();
        expect(out.phase).toBe('Completed');
        expect(out.counts).toMatchObject({ succeeded: 3, failed: 0 });
      } finally {
        await conn.close();
      }
      expect([...appliesPerNode(witness.read()).values()]).toEqual([1, 1, 1]);
    } finally {
      worker.shutdown();
      await running;
    }
  }, 180_000);
});
