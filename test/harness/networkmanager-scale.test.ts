/**
 * 100 NetworkManager nodes start and stop cleanly on this 2-core machine, and they do not starve the
 * rest of the machine of inotify instances (the recipe's failure at ~64 nodes). Figures (start-up time,
 * memory, teardown time) are printed by bench/nm-scale.ts; this file only checks correctness.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readlinkSync, rmSync, statSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCluster } from '../../hack/cluster/cluster.ts';
import { listNetns } from '../../hack/cluster/run.ts';
import type { NodeGroup } from '../../hack/cluster/nodes.ts';
import { INOTIFY_INSTANCES_PER_NODE, INOTIFY_LEASE_DIR, inotifyLeaseState, nmProcNames, nodeNmDir, ownNetns } from '../../hack/cluster/networkmanager.ts';
import { isAlive } from '../../hack/cluster/proc.ts';

const COUNT = 100;
let group: NodeGroup | undefined;

afterAll(async () => {
  await group?.teardown();
}, 120_000);

/** True when this process can still get an inotify instance (fs.watch needs one). */
function canWatch(): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'knmstate-inotify-'));
  try {
    watch(dir).close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EMFILE') return false;
    throw err;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('NetworkManager node mode at scale', () => {
  it(`given ${COUNT} NetworkManager nodes, should run them all in their own namespaces, leave inotify instances for the rest of the machine, and remove everything on teardown`, async () => {
    const cluster = openCluster();
    group = await cluster.addNodes({ name: 'nm-scale', count: COUNT, mode: 'networkmanager', nodeObjects: false });
    const procs = cluster.run.procs().filter((p) => group!.nodes.some((n) => p.name === nmProcNames(n.name).nm || p.name === nmProcNames(n.name).bus));
    expect(procs).toHaveLength(2 * COUNT);
    expect(procs.every(isAlive)).toBe(true);
    // Every NetworkManager is in its own node's namespace (the namespace file's inode is the namespace's id).
    for (const n of group.nodes) {
      const nm = procs.find((p) => p.name === nmProcNames(n.name).nm)!;
      const ns = readlinkSync(`/proc/${nm.pid}/ns/net`);
      expect(ns).not.toBe(ownNetns());
      expect(ns).toBe(`net:[${statSync(`/run/netns/${n.netns}`).ino}]`);
    }

    const during = inotifyLeaseState();
    expect(during.original).toBeDefined();
    expect(during.value).toBe(during.original! + during.leased);
    expect(during.leased).toBeGreaterThanOrEqual(INOTIFY_INSTANCES_PER_NODE * COUNT);
    expect(canWatch()).toBe(true);

    const lease = join(INOTIFY_LEASE_DIR, `${cluster.run.id}.group-nm-scale.lease`);
    expect(existsSync(lease)).toBe(true);
    const netns = [group.fabricNetns, ...group.nodes.map((n) => n.netns)];
    const g = group;
    group = undefined;
    await g.teardown();

    expect(procs.filter(isAlive)).toEqual([]);
    expect(listNetns().filter((n) => netns.includes(n))).toEqual([]);
    expect(g.nodes.filter((n) => existsSync(nodeNmDir(cluster.run, n.name)))).toEqual([]);
    expect(existsSync(lease)).toBe(false);
    const after = inotifyLeaseState();
    // Back to the original value, or to what other live NetworkManager groups still lease.
    if (after.leased === 0) expect(after.original).toBeUndefined();
    else expect(after.value).toBe(after.original! + after.leased);
  }, 180_000);
});
