/**
 * The exact half of putting a node back (docs/restore.md): what nmstate's own restore — a
 * NetworkManager checkpoint rollback, or the restore state of ./state.ts applied through nmstatectl —
 * leaves different from the views recorded before the change.
 *
 *  0. NetworkManager mode: the interfaces routes the change covers by destination only went through
 *     (`{ destination: 0.0.0.0/0, state: absent }`) count as changed: nmstate changed their profiles;
 *  1. NetworkManager mode: profiles the change left behind are deleted (ones that did not exist, and
 *     generated in-memory profiles nmstate wrote to disk), which hands interfaces NetworkManager did
 *     not manage before back to the kernel (NetworkManager deactivates them; wait for that);
 *  2. the kernel view of the interfaces nobody else owns (kernel mode: every one in scope;
 *     NetworkManager mode: the ones NetworkManager did not manage before) is put back with `ip`:
 *     addr-gen-mode, MTU, addresses with their flags and link-local values, routes with protocol and
 *     metric (IPv6 addresses without a second duplicate address detection); wait for NetworkManager to
 *     see them as external again (`connected (externally)`);
 *  3. compare both views again; what is left is reported as differences.
 *
 * Interfaces NetworkManager has a profile active on are NetworkManager's: its checkpoint, or
 * nmstate's apply of their profiles, is what restores them, and `ip` is not used on them
 * (NetworkManager would undo it). What a re-activation gets wrong is fixed through it: while the
 * device's old route-metric reservation is held its routes move to a higher metric (101 → 103);
 *  4. such a device, whose only differences are routes via it, has its profile activated afresh.
 * Whatever else remains is reported.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { NmstateMode } from '../nmstate/types.ts';
import type { NodeExec } from '../nmstate/exec.ts';
import { captureKernelView, runIpBatch, setIpv6, waitForDad } from './kernel-capture.ts';
import { ipv6Repair, kernelDiffs, linkAndAddressRepair, routeOnlyDrift, routeRepair, withRouteDevices, type KernelView } from './kernel-view.ts';
import { captureNmView, deleteProfiles, reactivateProfile, waitForDevices } from './nm-profiles.ts';
import { isExternal, nmDiffs, nmUndoPlan, type NmDevice, type NmView } from './nm-view.ts';
import type { Scope } from './state.ts';

/** The views of a node recorded before a change. */
export interface NodeViews {
  kernel: KernelView;
  /** NetworkManager mode only. */
  nm?: NmView;
}

/** What {@link captureNodeViews} and {@link restoreViews} need. */
export interface ViewDeps {
  exec: NodeExec;
  mode: NmstateMode;
  /** @default 'ip' */
  ipBin?: string;
  /** @default 'nmcli' */
  nmcliBin?: string;
  /** How long to wait for NetworkManager to deactivate or re-adopt a device. @default 10_000 */
  settleTimeoutMs?: number;
}

/** Records the node's kernel view and, in NetworkManager mode, NetworkManager's. */
export async function captureNodeViews(d: ViewDeps): Promise<NodeViews> {
  const [kernel, nm] = await Promise.all([captureKernelView(d.exec, d.ipBin), d.mode === 'networkmanager' ? captureNmView(d.exec, d.nmcliBin) : Promise.resolve(undefined)]);
  return nm ? { kernel, nm } : { kernel };
}

/** Whether an interface is in `scope`. */
export const ifaceInScope = (scope: Scope) => (name: string): boolean => scope.all || scope.interfaces.has(name) || scope.routeInterfaces.has(name);

/** Whether NetworkManager has (or is bringing up or down) a profile of its own active on the device. */
const nmActive = (d: NmDevice | undefined): boolean => !!d && !isExternal(d) && /^(connected|connecting|deactivating)/.test(d.state);

/**
 * Interfaces the kernel view may be restored on: all (kernel mode), or those NetworkManager has no
 * profile active on, before and now (external, unmanaged, disconnected devices).
 */
function kernelOwned(before: NodeViews, nmNow: NmView | undefined): ReadonlySet<string> | undefined {
  if (!before.nm) return undefined;
  const active = new Set([...before.nm.devices, ...(nmNow?.devices ?? [])].filter(nmActive).map((d) => d.name));
  return new Set(before.kernel.links.map((l) => l.name).filter((n) => !active.has(n)));
}

/** The differences between the recorded views and the node now, within `scope`. */
export async function viewDiffs(d: ViewDeps, before: NodeViews, scope: Scope): Promise<string[]> {
  const now = await captureNodeViews(d);
  const inScope = ifaceInScope(scope);
  // Devices NetworkManager has a profile active on, before and now: their IPv6 link-local prefix routes are its runtime.
  const nmDevices = new Set([...(before.nm?.devices ?? []), ...(now.nm?.devices ?? [])].filter((x) => nmActive(x)).map((x) => x.name));
  return [...kernelDiffs(before.kernel, now.kernel, scope, undefined, nmDevices), ...(before.nm && now.nm ? nmDiffs(before.nm, now.nm, inScope) : [])];
}

/** Steps 0-3 of the module comment; returns the actions taken and the differences left. */
export async function restoreViews(d: ViewDeps, before: NodeViews, scopeOfChange: Scope): Promise<{ actions: string[]; differences: string[] }> {
  // NetworkManager mode: a route entry without an interface (`0.0.0.0/0` absent) changed the profile of each interface such a route went through.
  let scope = d.mode === 'networkmanager' ? withRouteDevices(scopeOfChange, before.kernel) : scopeOfChange;
  const actions: string[] = [];
  const inScope = ifaceInScope(scope);
  const settle = d.settleTimeoutMs ?? 10_000;
  let handBack: string[] = [];
  let released: string[] = [];
  if (d.mode === 'networkmanager' && before.nm) {
    const nmNow = await captureNmView(d.exec, d.nmcliBin);
    const plan = nmUndoPlan(before.nm, nmNow, inScope);
    actions.push(...(await deleteProfiles(d.exec, plan.deleteProfiles, d.nmcliBin)));
    handBack = plan.handBack;
    // Devices whose active profile is gone: NetworkManager deactivates them; wait until it is done.
    const deleted = new Set(plan.deleteProfiles.map((x) => x.uuid));
    released = [...new Set([...handBack, ...nmNow.devices.filter((x) => x.uuid && deleted.has(x.uuid)).map((x) => x.name)])];
    const stuck = await waitForDevices(d.exec, released, (x) => !!x && !x.state.startsWith('connected') && !/ing\b/.test(x.state), settle, d.nmcliBin);
    for (const x of stuck) actions.push(`NetworkManager did not release ${x.name} within ${settle} ms (${x.state})`);
  }
  const nmAfterUndo = d.mode === 'networkmanager' && before.nm ? await captureNmView(d.exec, d.nmcliBin) : undefined;
  const only = kernelOwned(before, nmAfterUndo);
  // A device NetworkManager released lost everything NetworkManager had configured on it, not only what
  // the change touched (a policy with just a route via eth0 took eth0 over): it is put back whole.
  scope = released.length && !scope.all ? { ...scope, interfaces: new Set([...scope.interfaces, ...released]), routeInterfaces: new Set([...scope.routeInterfaces, ...released]) } : scope;
  const touched = new Set<string>();
  // NetworkManager may still be removing what it had configured on a device it released (it reports the
  // device disconnected first): repair, and repeat until nothing is left to do and the devices handed
  // back are external again, within the settle time.
  const deadline = performance.now() + settle;
  for (let round = 1; round <= 8; round++) {
    let now = await captureKernelView(d.exec, d.ipBin);
    const ipv6 = ipv6Repair(before.kernel, now, scope, only);
    if (ipv6.length) {
      actions.push(...(await setIpv6(d.exec, ipv6)));
      now = await captureKernelView(d.exec, d.ipBin);
    }
    const lines = [...linkAndAddressRepair(before.kernel, now, scope, only), ...routeRepair(before.kernel, now, scope, only)];
    if (!lines.length) {
      if (!handBack.length || performance.now() > deadline) break;
      const notYet = await waitForDevices(d.exec, handBack, isExternal, Math.max(0, Math.min(1_000, deadline - performance.now())), d.nmcliBin);
      if (!notYet.length) break;
      continue;
    }
    for (const l of lines) touched.add(/ dev (\S+)/.exec(l)?.[1] ?? '');
    actions.push(...(await runIpBatch(d.exec, lines, d.ipBin)));
    if (handBack.length) await delay(250);
  }
  // Addresses are put back without a second duplicate address detection; should one still be `tentative`
  // (NetworkManager re-activated a device), wait for it.
  const inScopeNow = scope.all ? new Set((await captureKernelView(d.exec, d.ipBin)).links.map((l) => l.name)) : new Set([...scope.interfaces, ...scope.routeInterfaces, ...touched]);
  const tentative = await waitForDad(d.exec, inScopeNow, settle, d.ipBin);
  for (const t of tentative) actions.push(`IPv6 address ${t} still tentative after ${settle} ms`);
  if (handBack.length) {
    const stuck = await waitForDevices(d.exec, handBack, isExternal, settle, d.nmcliBin);
    for (const x of stuck) actions.push(`NetworkManager did not take ${x.name} as external within ${settle} ms (${x.state})`);
    if (handBack.length > stuck.length) actions.push(`handed ${handBack.filter((h) => !stuck.some((s) => s.name === h)).join(', ')} back (connected externally, as before)`);
  }
  // NetworkManager's own devices: routes a re-activation changed (metrics moved) come back with a fresh activation.
  if (nmAfterUndo) {
    const candidates = new Set(nmAfterUndo.devices.filter((x) => nmActive(x) && x.uuid && ifaceInScope(scope)(x.name)).map((x) => x.name));
    const drift = routeOnlyDrift(before.kernel, await captureKernelView(d.exec, d.ipBin), scope, candidates);
    for (const dev of drift) actions.push(await reactivateProfile(d.exec, nmAfterUndo.devices.find((x) => x.name === dev)!.uuid!, dev, d.nmcliBin));
  }
  return { actions, differences: await settledDiffs(d, before, scope, settle) };
}

/**
 * {@link viewDiffs}, again every 200 ms while some remain, for at most `timeoutMs`: NetworkManager
 * finishes a (re-)activation asynchronously, e.g. it replaces a device's IPv6 link-local prefix route
 * a moment after nmstate returned.
 */
async function settledDiffs(d: ViewDeps, before: NodeViews, scope: Scope, timeoutMs: number): Promise<string[]> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const diffs = await viewDiffs(d, before, scope);
    if (!diffs.length || d.mode !== 'networkmanager' || performance.now() > deadline) return diffs;
    await delay(200);
  }
}
