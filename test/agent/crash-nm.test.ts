/**
 * The node agent process in NetworkManager mode, killed mid-apply: SIGKILL between the apply and the
 * commit leaves NetworkManager's checkpoint pending, and NetworkManager's own auto-rollback at the
 * checkpoint timeout T puts the node back while no agent runs; the restarted agent finds the attempt
 * undone and the Temporal retry succeeds. T is kept small here (probe timeout 3 s + margin 2 s).
 * SIGTERM mid-probe as in kernel mode (agent-process.ts).
 */
import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { activeCheckpoints } from '../../hack/cluster/networkmanager.ts';
import { eventually } from '../../hack/cluster/wait.ts';
import type { ApplyNodeStateResult, RevertNodeStateResult } from '../../activities/node/index.ts';
import { callNode } from './workflows.ts';
import { sigtermScenario, useAgentProcesses } from './agent-process.ts';
import { ipView } from './support.ts';
import { bridgeState } from '../../hack/fixtures/bridge.ts';

const p = useAgentProcesses('agent-crash-nm', 'networkmanager');

const bridge = bridgeState({ ip: '203.0.113.51', ipv6: false });

describe('node agent process (NetworkManager mode): crash and shutdown mid-apply', () => {
  it("given the agent killed with SIGKILL between apply and commit, should let NetworkManager's auto-rollback restore the node at the checkpoint timeout, and the Temporal retry on the restarted agent should apply and commit", async () => {
    const n = p.node();
    const before = await p.views();
    const first = await p.startAgent({ KNMSTATE_CHECKPOINT_MARGIN_SECONDS: '2' });
    const handle = await p.s.t.client.workflow.start(callNode, {
      taskQueue: p.queue(),
      workflowId: `agent-crash-nm-${randomUUID()}`,
      args: [n.name, { activity: 'applyNodeState', input: { policy: 'crash-nm', generation: 1, desiredState: bridge } }, { maximumAttempts: 2, heartbeatTimeout: '3s' }],
    });
    const mgmt = `m${n.index}`;
    let cut = false;
    try {
      // The probes were selected before the journal record is written; cutting eth0's peer now holds
      // the ping probe (3 s) after the apply, which is where the agent gets killed.
      await eventually(() => !!p.readInflight(), { timeoutMs: 20_000, intervalMs: 10, what: 'the attempt in the journal' });
      await p.s.t.nodes.inFabric('ip', ['link', 'set', mgmt, 'down']);
      cut = true;
      await eventually(() => p.readInflight()?.phase === 'applied', { timeoutMs: 20_000, intervalMs: 10, what: 'the apply to be probing' });
      first.child.kill('SIGKILL');
      await first.exited;
      const killedAt = performance.now();
      await p.s.t.nodes.inFabric('ip', ['link', 'set', mgmt, 'up']);
      cut = false;

      // Uncommitted and pending while no agent runs…
      expect(await activeCheckpoints(n)).toHaveLength(1);
      expect((await ipView(n)).addrs).toContain('br1 203.0.113.51/24 global');
      // …until NetworkManager rolls back by itself at T = 3 + 2 = 5 s after the apply returned.
      await eventually(async () => (await activeCheckpoints(n)).length === 0, { timeoutMs: 20_000, what: "NetworkManager's auto-rollback" });
      const rolledBackAfter = (performance.now() - killedAt) / 1000;
      process.stderr.write(`[crash-nm] NetworkManager's auto-rollback came ${rolledBackAfter.toFixed(1)} s after the kill (T = 5 s from the apply's return)\n`);
      expect(rolledBackAfter).toBeLessThan(10);
      await eventually(async () => JSON.stringify(await p.views()) === JSON.stringify(before), { timeoutMs: 10_000, what: 'the node as before the apply' });

      // The restarted agent finds the attempt already undone; attempt 2 (after the heartbeat timeout) applies and commits.
      const second = await p.startAgent({ KNMSTATE_CHECKPOINT_MARGIN_SECONDS: '2' });
      expect(second.output()).toMatch(/finished or undid a half-done attempt at start-up/);
      const r = await handle.result();
      expect(r).toMatchObject({ ok: true });
      if (!r.ok) return;
      expect((r.result as ApplyNodeStateResult).checkpointTimeoutSeconds).toBe(5);
      expect(await activeCheckpoints(n)).toEqual([]);
      expect((await ipView(n)).addrs).toContain('br1 203.0.113.51/24 global');
      expect(p.readInflight()).toBeUndefined();

      const rev = await p.s.call(n.name, { activity: 'revertNodeState', input: { policy: 'crash-nm', generation: 1 } });
      expect(rev).toMatchObject({ ok: true, result: { reverted: true } as Partial<RevertNodeStateResult> });
      expect(await p.views()).toEqual(before);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    } finally {
      if (cut) await p.s.t.nodes.inFabric('ip', ['link', 'set', mgmt, 'up']);
      await handle.terminate('test over').catch(() => undefined);
    }
  });

  sigtermScenario(p);
});
