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
    lines.push('', `  simulated nodes (${group.nodes.length}); run a command in one with:`);
    lines.push(`  ip netns exec ${group.nodes[0]!.netns} ip -br addr`);
    for (const n of group.nodes) lines.push(`    ${n.name.padEnd(12)} ${n.zone.padEnd(8)} eth0 ${n.mgmtIp}  netns ${n.netns}`);
  }
  console.log(lines.join('\n'));
}
