/**
 * The node agent as a separate process (workers/node-agent.ts, configured from the environment), in
 * kernel mode, killed mid-apply: SIGKILL while nmstatectl is applying (a crash: the orphaned
 * nmstatectl keeps going, and the restarted agent waits for it to end before it undoes the change), and SIGTERM while probing (graceful shutdown: the in-flight apply is undone
 * within the deadline). Either way the node must end equal to its state before, and the Temporal
 * retry must end cleanly. NetworkManager mode: crash-nm.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { runInNode } from '../../hack/cluster/nodes.ts';
import { eventually } from '../../hack/cluster/wait.ts';
import type { ApplyFailureDetails } from '../../activities/node/index.ts';
import { callNode } from './workflows.ts';
import { running, sigtermScenario, useAgentProcesses, type AgentProcess } from './agent-process.ts';
import { linuxBridge } from '../../hack/fixtures/bridge.ts';

const p = useAgentProcesses('agent-crash', 'kernel');

/** A bridge over eth2 with eth2 listed as up: verification fails after ~4 s while eth2 has no carrier. */
const deadPortBridge = {
  interfaces: [
    linuxBridge({ name: 'br3', port: 'eth2', ip: '203.0.113.23' }),
    { name: 'eth2', type: 'veth', state: 'up' },
  ],
};

describe('node agent process (kernel mode): crash and shutdown mid-apply', () => {
  it('given the agent killed with SIGKILL while nmstatectl applies, should on restart wait for the orphaned nmstatectl, undo it, and let the Temporal retry end in a clean state', async () => {
    const n = p.node();
    let stopped: number | undefined;
    await p.s.t.nodes.inFabric('ip', ['link', 'set', `b${n.index}`, 'down']);
    try {
      await eventually(async () => String((await runInNode(n, 'ip', ['link', 'show', 'eth2'])).stdout).includes('NO-CARRIER'), { timeoutMs: 5_000, what: 'eth2 without carrier' });
      const before = await p.views();
      const first = await p.startAgent();
      const handle = await p.s.t.client.workflow.start(callNode, {
        taskQueue: p.queue(),
        workflowId: `agent-crash-${randomUUID()}`,
        args: [n.name, { activity: 'applyNodeState', input: { policy: 'crash', generation: 1, desiredState: deadPortBridge } }, { maximumAttempts: 2, heartbeatTimeout: '3s' }],
      });
      // Mid-apply: the journal names the running nmstatectl.
      const rec = await eventually(() => {
        const r = p.readInflight();
        return r?.phase === 'applying' && r.childPid ? r : undefined;
      }, { timeoutMs: 20_000, intervalMs: 20, what: 'nmstatectl apply in progress' });
      // Hold the orphan mid-apply so that the restarted agent finds it running, whatever the timing.
      process.kill(rec.childPid!, 'SIGSTOP');
      stopped = rec.childPid;
      first.child.kill('SIGKILL');
      await first.exited;
      expect(running(rec.childPid!)).toBe(true);

      let early: AgentProcess | undefined;
      const restarted = p.startAgent({}, { onSpawn: (a) => (early = a) });
      await eventually(() => early?.output().includes('waiting for the nmstatectl a previous agent left running'), { timeoutMs: 20_000, what: 'the restarted agent to wait for the orphaned nmstatectl' });
      expect(running(rec.childPid!)).toBe(true);
      process.kill(rec.childPid!, 'SIGCONT');
      stopped = undefined;
      const second = await restarted;
      expect(second.output()).toMatch(/finished or undid a half-done attempt at start-up/);
      expect(second.output()).not.toMatch(/killing the leftover nmstatectl/);
      expect(running(rec.childPid!)).toBe(false);

      // Attempt 1 times out (no heartbeat); attempt 2 runs on the restarted agent and fails verification again, cleanly.
      const r = await handle.result();
      expect(r).toMatchObject({ ok: false, type: 'VerificationFailed' });
      if (!r.ok) expect((r.details as ApplyFailureDetails).remainingDifferences).toEqual([]);
      expect(p.readInflight()).toBeUndefined();
      expect(await p.views()).toEqual(before);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    } finally {
      if (stopped) process.kill(stopped, 'SIGCONT');
      await p.s.t.nodes.inFabric('ip', ['link', 'set', `b${n.index}`, 'up']);
    }
  });

  sigtermScenario(p);
});
