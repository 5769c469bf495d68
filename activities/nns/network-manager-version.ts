/**
 * NetworkManager's version over D-Bus (`busctl`), as upstream reports it in NodeNetworkState; run
 * through the node's executor so that a simulated node's own bus is asked.
 */
import type { NodeExec } from '../nmstate/exec.ts';

/** A function that reads the version: `'unknown'` when NetworkManager does not answer within 5 s. */
export function networkManagerVersion(exec: NodeExec): () => Promise<string> {
  return async () => {
    const r = await exec.run('busctl', ['get-property', 'org.freedesktop.NetworkManager', '/org/freedesktop/NetworkManager', 'org.freedesktop.NetworkManager', 'Version'], { timeoutMs: 5_000 });
    const m = /"([^"]+)"/.exec(r.stdout);
    return r.exitCode === 0 && m ? m[1]! : 'unknown';
  };
}
