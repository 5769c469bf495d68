/**
 * What the node's kernel can create, asked of the kernel itself: `unshare --net -- ip link add
 * knmprobe0 type <kind>` in a scratch network namespace that exists only for that command (so the
 * node's own network, and NetworkManager, never see the probe link; kernel modules are global, and
 * the kernel autoloads `rtnl-link-<kind>` modules for root as a real create would). The kernel answers
 * an unknown kind with EOPNOTSUPP (`Error: Unknown device type.`; without extack `RTNETLINK answers:
 * Operation not supported`); a known kind either is created or fails on its missing arguments
 * (`Required attributes not provided…`, `Invalid argument`), which still proves the kind exists. The
 * same way, `type bridge vlan_filtering 1` tells whether bridge VLAN filtering is built in.
 *
 * Why this and not /sys/module or /proc: a built-in module without parameters has no /sys/module
 * entry, a loadable one appears only once loaded, and the files that do appear (/proc/net/vlan,
 * /sys/class/net/bonding_masters) differ per kind. The scratch-namespace probe is one rule for every
 * kind and costs a few milliseconds. Answers are cached: "supported" for the agent's life, "not
 * supported" for {@link NEGATIVE_TTL_MS} (a module may be installed meanwhile). The cache belongs to
 * the process, not to one node: every node an agent process serves runs on its kernel (simulated
 * nodes are namespaces of one kernel), so a hundred hosted nodes ask once, not a hundred times. When the probe itself
 * cannot run (no `unshare`, not allowed), the answer is `undefined` and nmstatectl decides as before.
 */
import type { NodeExec } from '../nmstate/exec.ts';
import type { NetworkState } from '../../crd/network-state.ts';
import type { Problem } from './contract.ts';
import { linksToCreate } from './link-kinds.ts';

/** How long a "not supported" answer is reused. */
export const NEGATIVE_TTL_MS = 5 * 60_000;

/** What the kernel said to one probe: supported, not supported (with its words), or unknown. */
export interface KernelAnswer {
  supported: boolean | undefined;
  /** The kernel's (iproute2's) message, when it refused. */
  detail?: string;
}

/** Options of {@link KernelSupport}. */
export interface KernelSupportOptions {
  /** @default 'unshare' */
  unshareBin?: string;
  /** @default 'ip' */
  ipBin?: string;
  /** @default 10_000 */
  timeoutMs?: number;
}

/** Reads an `ip link add` probe's outcome (pure). */
export function interpretProbe(exitCode: number, stderr: string): KernelAnswer {
  if (exitCode === 0) return { supported: true };
  const text = stderr.trim();
  if (/Unknown device type|RTNETLINK answers: Operation not supported/.test(text)) return { supported: false, detail: text.split('\n').pop()! };
  // `ip` ran and the kernel knew the kind but wanted arguments: supported.
  if (/^(Error: |RTNETLINK answers: )/m.test(text) && !/unshare/.test(text)) return { supported: true };
  return { supported: undefined, detail: text };
}

/** Answers of this process's kernel, by probe (and by the binaries that asked). */
const kernelAnswers = new Map<string, { answer: KernelAnswer; at: number }>();

/** Probes (and caches) what the node's kernel supports. */
export class KernelSupport {
  readonly #exec: NodeExec;
  readonly #o: Required<KernelSupportOptions>;
  readonly #cache = kernelAnswers;

  constructor(exec: NodeExec, opts: KernelSupportOptions = {}) {
    this.#exec = exec;
    this.#o = { unshareBin: opts.unshareBin ?? 'unshare', ipBin: opts.ipBin ?? 'ip', timeoutMs: opts.timeoutMs ?? 10_000 };
  }

  async #ask(probe: string, linkArgs: string[]): Promise<KernelAnswer> {
    const key = `${this.#o.unshareBin} ${this.#o.ipBin} ${probe}`;
    const hit = this.#cache.get(key);
    if (hit && (hit.answer.supported === true || performance.now() - hit.at < NEGATIVE_TTL_MS)) return hit.answer;
    const r = await this.#exec.run(this.#o.unshareBin, ['--net', '--', this.#o.ipBin, 'link', 'add', 'knmprobe0', ...linkArgs], { timeoutMs: this.#o.timeoutMs });
    const answer = r.timedOut ? { supported: undefined, detail: 'timed out' } : interpretProbe(r.exitCode, r.stderr);
    if (answer.supported !== undefined) this.#cache.set(key, { answer, at: performance.now() });
    return answer;
  }

  /** Whether the kernel can create links of rtnetlink kind `kind` (e.g. `vlan`). */
  linkKind(kind: string): Promise<KernelAnswer> {
    if (!/^[a-z0-9_]+$/.test(kind)) throw new RangeError(`KernelSupport.linkKind: invalid kind ${JSON.stringify(kind)}`);
    return this.#ask(`kind:${kind}`, ['type', kind]);
  }

  /** Whether bridges can filter VLANs (CONFIG_BRIDGE_VLAN_FILTERING), which upstream's default port VLAN trunk needs. */
  bridgeVlanFiltering(): Promise<KernelAnswer> {
    return this.#ask('bridge-vlan-filtering', ['type', 'bridge', 'vlan_filtering', '1']);
  }
}

/**
 * The interfaces `desired` would create whose link kind this node's kernel cannot create, as field
 * problems (`interfaces[i].type`, rule `kernel-link-kind`) naming the kind and the missing module.
 */
export async function unsupportedLinkKinds(kernel: KernelSupport, desired: NetworkState, current: NetworkState, node: string): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const l of linksToCreate(desired, current)) {
    const answer = await kernel.linkKind(l.kind);
    if (answer.supported !== false) continue;
    problems.push({
      path: `${l.path}.type`,
      rule: 'kernel-link-kind',
      message: `${l.path}.type: node ${node}'s kernel cannot create ${l.type} interface ${l.name} (link kind '${l.kind}' unknown to the kernel: ${answer.detail ?? 'not supported'}; the ${l.module} module is missing)`,
    });
  }
  return problems;
}
