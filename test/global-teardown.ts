/** Tears down the control plane that global-setup started (not one given through KNMSTATE_RUN). */
import { openCluster } from '../hack/cluster/cluster.ts';

export default async function globalTeardown(): Promise<void> {
  if (process.env.KNMSTATE_RUN_OWNED !== '1') return;
  await openCluster().teardown();
}
