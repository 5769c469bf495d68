/**
 * Paths of the pinned toolchain, installed (or found in the cache) by hack/tools.sh.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The tools the harness runs. */
export interface Tools {
  temporal: string;
  kubectl: string;
  etcd: string;
  kubeApiserver: string;
  nmstatectl: string;
  ping: string;
  dnsmasq: string;
}

const toolsScript = fileURLToPath(new URL('../tools.sh', import.meta.url));
let cached: Tools | undefined;

/**
 * Runs hack/tools.sh (a no-op when everything is cached; it builds what is missing) and returns
 * the paths. Variables KNMSTATE_<TOOL> (e.g. KNMSTATE_NMSTATECTL) override single tools.
 */
export function tools(): Tools {
  if (cached) return cached;
  const out = execFileSync(toolsScript, ['--env'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const found: Record<string, string> = {};
  for (const line of out.trim().split('\n')) {
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    found[key] = process.env[key] ?? line.slice(eq + 1);
  }
  const get = (k: string): string => {
    const v = found[`KNMSTATE_${k}`];
    if (!v) throw new Error(`hack/tools.sh did not report ${k}`);
    return v;
  };
  cached = {
    temporal: get('TEMPORAL'),
    kubectl: get('KUBECTL'),
    etcd: get('ETCD'),
    kubeApiserver: get('KUBE_APISERVER'),
    nmstatectl: get('NMSTATECTL'),
    ping: get('PING'),
    dnsmasq: get('DNSMASQ'),
  };
  return cached;
}
