/**
 * The harness leaves nothing behind: not after a normal teardown, not when the owner of a run is
 * killed (the reaper cleans up), not when both are gone (the next start sweeps the stale run).
 */
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Run, listNetns, sweepStaleRuns } from '../../hack/cluster/run.ts';
import { createNodeGroup } from '../../hack/cluster/nodes.ts';
import { isAlive, procStartTime, type ProcRecord } from '../../hack/cluster/proc.ts';
import { tools } from '../../hack/cluster/tools.ts';
import { eventually } from '../../hack/cluster/wait.ts';
import { useCluster } from '../support/cluster.ts';

const t = useCluster('teardown', 2);

/** Starts a process that just waits, to own a run; returns it and its PID. */
function spawnIdle() {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
  return { child, pid: child.pid! };
}

function nothingLeft(runId: string, procs: ProcRecord[], netns: string[]): boolean {
  const ns = new Set(listNetns());
  return (
    !existsSync(new Run(runId).dir) &&
    procs.every((p) => !isAlive(p)) &&
    netns.every((n) => !ns.has(n) && !existsSync(`/etc/netns/${n}`))
  );
}

describe('harness teardown', () => {
  it('given a node group, should remove its namespaces, resolver files and Node objects on teardown', async () => {
    const group = await t.cluster.addNodes({ name: 'teardown-g', count: 2 });
    const names = [group.fabricNetns, ...group.nodes.map((n) => n.netns)];
    expect(names.every((n) => listNetns().includes(n))).toBe(true);
    await group.teardown();
    const left = new Set(listNetns());
    expect(names.filter((n) => left.has(n) || existsSync(`/etc/netns/${n}`))).toEqual([]);
    const nodes = await t.core.listNode({ labelSelector: 'knmstate.io/group=teardown-g' });
    expect(nodes.items).toHaveLength(0);
  });

  it('given a run whose owner is killed with SIGKILL, should be torn down by its reaper', async () => {
    const owner = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/owner.ts', import.meta.url)), 'reaped'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let line: string;
    try {
      line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: owner.stdout }).once('line', resolve);
        owner.once('exit', (code) => reject(new Error(`owner exited early with ${code}`)));
      });
    } catch (err) {
      owner.kill('SIGKILL');
      throw err;
    }
    const { runId, procs, netns } = JSON.parse(line) as { runId: string; procs: ProcRecord[]; netns: string[] };
    // Kill first, assert after: a failed expectation must not leave the owner (and its run) behind.
    const aliveBefore = procs.every(isAlive);
    owner.kill('SIGKILL');
    // NetworkManager mode adds each node's bus and NetworkManager to these.
    expect(procs.map((p) => p.name)).toEqual(expect.arrayContaining(['dnsmasq-reaped', 'etcd', 'kube-apiserver', 'temporal']));
    expect(aliveBefore).toBe(true);
    await eventually(() => nothingLeft(runId, procs, netns), { timeoutMs: 30_000, what: `run ${runId} to be reaped` });
  }, 90_000);

  it('given a stale run with no reaper, should be swept by the next start', async () => {
    const idle = spawnIdle();
    try {
      const run = Run.create({ ownerPid: idle.pid });
      const group = await createNodeGroup(run, { name: 'stale', count: 1, dnsmasqBin: tools().dnsmasq });
      const procs = run.procs();
      const netns = [group.fabricNetns, ...group.nodes.map((n) => n.netns)];
      expect(await sweepStaleRuns()).not.toContain(run.id); // owner alive: not stale

      idle.child.kill('SIGKILL');
      await eventually(() => procStartTime(idle.pid) === undefined, { what: 'idle owner to exit' });
      expect(await sweepStaleRuns()).toContain(run.id);
      expect(nothingLeft(run.id, procs, netns)).toBe(true);
    } finally {
      idle.child.kill('SIGKILL'); // no-op when the test already killed it
    }
  });
});
