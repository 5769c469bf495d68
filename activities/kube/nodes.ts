/**
 * Simulated nodes as the cluster lists them: the local cluster harness marks each Node it simulates
 * with the network namespace it lives in, its node mode and, in NetworkManager mode, the D-Bus address
 * of its own NetworkManager. A node agent that hosts simulated nodes finds them here.
 */
import type { KubeClient } from './client.ts';

/** Annotation on a simulated Node naming its network namespace. */
export const SIMULATED_NETNS_ANNOTATION = 'knmstate.io/netns';
/** Annotation on a NetworkManager-mode simulated Node: the `DBUS_SYSTEM_BUS_ADDRESS` of its NetworkManager. */
export const SIMULATED_DBUS_ANNOTATION = 'knmstate.io/dbus-address';
/** Label on a simulated Node: `kernel` or `networkmanager`. */
export const SIMULATED_MODE_LABEL = 'knmstate.io/node-mode';

/** A simulated node found in the cluster. */
export interface SimulatedNode {
  name: string;
  netns: string;
  /** Absent when the Node carries no (known) mode label. */
  mode?: 'kernel' | 'networkmanager';
  /** NetworkManager mode: the bus of the node's own NetworkManager. */
  dbusAddress?: string;
}

type NodeList = { items: { metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> } }[] };

/** The simulated nodes among the cluster's Nodes (those with the netns annotation), optionally by label selector, sorted by name. */
export async function listSimulatedNodes(kube: KubeClient, labelSelector?: string, opts: { timeoutMs?: number } = {}): Promise<SimulatedNode[]> {
  const list = await kube.request<NodeList>('GET', `/api/v1/nodes${labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : ''}`, undefined, opts);
  return list.items
    .filter((n) => n.metadata?.name && n.metadata.annotations?.[SIMULATED_NETNS_ANNOTATION])
    .map((n): SimulatedNode => {
      const m = n.metadata!;
      const mode = m.labels?.[SIMULATED_MODE_LABEL];
      const dbus = m.annotations?.[SIMULATED_DBUS_ANNOTATION];
      return {
        name: m.name!,
        netns: m.annotations![SIMULATED_NETNS_ANNOTATION]!,
        ...(mode === 'kernel' || mode === 'networkmanager' ? { mode } : {}),
        ...(dbus ? { dbusAddress: dbus } : {}),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}
