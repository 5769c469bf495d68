/**
 * One control plane (Temporal, etcd, kube-apiserver) for the whole jest run; test files add their
 * own simulated nodes. Set KNMSTATE_RUN to an existing cluster's id to reuse it instead
 * (`npm run cluster -- up` then `KNMSTATE_RUN=local hack/test.sh`).
 */
import { startCluster } from '../hack/cluster/cluster.ts';
import { installCrds } from '../hack/cluster/crds.ts';

export default async function globalSetup(): Promise<void> {
  if (process.env.KNMSTATE_RUN) return;
  const cluster = await startCluster({ ownerPid: process.pid });
  await installCrds(cluster.info.kube.kubeconfig);
  process.env.KNMSTATE_RUN = cluster.run.id;
  process.env.KNMSTATE_RUN_OWNED = '1';
  process.stderr.write(`\n[knmstate] control plane up in ${(cluster.info.startupMs / 1000).toFixed(1)} s (run ${cluster.run.id})\n`);
}
