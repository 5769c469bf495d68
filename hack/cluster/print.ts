/** Human-readable access instructions for a running cluster. */
import type { Cluster } from './cluster.ts';
import type { NodeGroup } from './nodes.ts';

export function printAccess(cluster: Cluster, group?: NodeGroup): void {
  const { info } = cluster;
  const kubectl = cluster.tools.kubectl;
  const lines = [
    `knmstate local cluster "${info.runId}" is up (control plane in ${(info.startupMs / 1000).toFixed(1)} s)`,
    '',
    `  Temporal     ${info.temporal.address} (namespace ${info.temporal.namespace})`,
    ...(info.temporal.uiUrl ? [`  Temporal UI  ${info.temporal.uiUrl}`] : []),
    `  apiserver    ${info.kube.server}`,
    `  kubeconfig   ${info.kube.kubeconfig}`,
    '',
    `  export KUBECONFIG=${info.kube.kubeconfig}`,
    `  ${kubectl} get nodes -L topology.kubernetes.io/zone`,
    `  ${cluster.tools.temporal} workflow list --address ${info.temporal.address}`,
  ];
  if (group) {
    const first = group.nodes[0]!;
    lines.push('', `  simulated nodes (${group.nodes.length}, ${group.mode} mode); run a command in one with:`);
    lines.push(`  ip netns exec ${first.netns} ip -br addr`);
    if (first.dbusAddress) {
      // nmcli and nmstatectl reach a node's own NetworkManager only through its private bus; unset, they would ask the host's.
      lines.push(`  DBUS_SYSTEM_BUS_ADDRESS=${first.dbusAddress} ip netns exec ${first.netns} nmcli device`);
      lines.push(`  DBUS_SYSTEM_BUS_ADDRESS=${first.dbusAddress} ip netns exec ${first.netns} ${cluster.tools.nmstatectl} show`);
    }
    for (const n of group.nodes) lines.push(`    ${n.name.padEnd(12)} ${n.zone.padEnd(8)} eth0 ${n.mgmtIp}  netns ${n.netns}${n.dbusAddress ? `  DBUS_SYSTEM_BUS_ADDRESS=${n.dbusAddress}` : ''}`);
  }
  console.log(lines.join('\n'));
}
