/**
 * Size of an NNCP status (JSON, as etcd stores custom resources) for 100 to 5000 nodes, typical and
 * worst case, against the apiserver's 1.5 MiB request limit. `node bench/status-size.ts`.
 */
import { bigStatus } from '../hack/fixtures/nncp-status.ts';
import { fitStatus, nncpStatus } from '../crd/index.ts';

const LIMIT = 1.5 * 1024 * 1024;
console.log('nodes  typical bytes  per node  worst-case bytes  per node  worst / limit  worst after fitStatus');
for (const n of [100, 1000, 2000, 5000]) {
  const typical = bigStatus(n);
  const worst = bigStatus(n, { worstCase: true });
  nncpStatus.parse(worst); // the fixture is a valid status
  const tb = Buffer.byteLength(JSON.stringify({ status: typical }));
  const wb = Buffer.byteLength(JSON.stringify({ status: worst }));
  const fb = Buffer.byteLength(JSON.stringify({ status: fitStatus(worst) }));
  console.log(
    `${String(n).padStart(5)}  ${String(tb).padStart(13)}  ${String(Math.round(tb / n)).padStart(8)}  ${String(wb).padStart(16)}  ${String(Math.round(wb / n)).padStart(8)}  ${((wb / LIMIT) * 100).toFixed(0).padStart(12)}%  ${String(fb).padStart(21)}`,
  );
}
