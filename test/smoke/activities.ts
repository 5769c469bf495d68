/** Activities of the smoke test; the node one runs the real nmstatectl inside the node's namespace. */
import { execa } from 'execa';
import type { CoreV1Api } from '@kubernetes/client-node';

/** Node-side activities for one simulated node. */
export function nodeActivities(netns: string, nmstatectl: string) {
  return {
    async readInterface(name: string): Promise<Record<string, unknown>> {
      const r = await execa('ip', ['netns', 'exec', netns, nmstatectl, '-q', 'show', '-k', '--json', name]);
      const state = JSON.parse(r.stdout) as { interfaces?: Record<string, unknown>[] };
      const iface = state.interfaces?.find((i) => i.name === name);
      if (!iface) throw new Error(`${name} not in nmstatectl show output`);
      return iface;
    },
  };
}

/** Cluster-side activities. */
export function clusterActivities(core: CoreV1Api, namespace: string) {
  return {
    async writeConfigMap(name: string, data: Record<string, string>): Promise<string> {
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data } });
      return name;
    },
  };
}

export type NodeActivities = ReturnType<typeof nodeActivities>;
export type ClusterActivities = ReturnType<typeof clusterActivities>;
