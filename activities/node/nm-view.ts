/**
 * NetworkManager's view of a node as `nmcli` shows it — each device's state (`connected` vs
 * `connected (externally)`) and each connection profile with its file — and the pure logic that
 * decides what to undo after NetworkManager took over interfaces it did not manage before. No I/O
 * (./nm-profiles.ts runs nmcli).
 *
 * Why: a checkpoint rollback (or a revert applied through nmstate) gives an interface that was
 * configured outside NetworkManager (`connected (externally)`, an in-memory generated profile) back
 * its addresses, but as NetworkManager's own activation of a now persistent profile: a keyfile stays
 * behind, routes get `proto static metric 100`, the addr-gen-mode and link-local address change. And
 * profiles a policy created for interfaces that are not active afterwards (a port profile left by a
 * revert) stay as inactive keyfiles. knmstate records this view before a change and, when it puts
 * the node back, deletes profiles that were not there and hands taken-over interfaces back
 * (docs/restore.md).
 */

/** One device. */
export interface NmDevice {
  name: string;
  /** nmcli's state text, e.g. `connected`, `connected (externally)`, `disconnected`, `unmanaged`. */
  state: string;
  /** UUID of its active profile. */
  uuid: string | undefined;
}

/** One connection profile. */
export interface NmProfile {
  uuid: string;
  name: string;
  type: string;
  /** The device it is active on. */
  device: string | undefined;
  /** The file as NetworkManager names it (in-memory profiles live under /run/NetworkManager). */
  filename: string;
  /** The interface it is for: its device when active, else its `connection.interface-name` (else its name). */
  iface: string;
}

/** What nmcli shows. */
export interface NmView {
  devices: NmDevice[];
  profiles: NmProfile[];
}

/** Splits one line of nmcli's terse output (`-t`): fields separated by ':', a literal ':' escaped as '\:'. */
export function splitTerse(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
    } else if (c === ':') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Parses `nmcli -t -f DEVICE,STATE,CON-UUID device` and `nmcli -t -f UUID,NAME,TYPE,DEVICE,FILENAME connection show`. */
export function parseNmView(devices: string, profiles: string): NmView {
  const lines = (s: string): string[][] => s.split('\n').filter((l) => l.trim()).map(splitTerse);
  return {
    devices: lines(devices).map(([name = '', state = '', uuid = '']) => ({ name, state, uuid: uuid || undefined })),
    profiles: lines(profiles).map(([uuid = '', name = '', type = '', device = '', filename = '']) => ({ uuid, name, type, device: device || undefined, filename, iface: device || name })),
  };
}

/** Whether NetworkManager shows the device as configured by someone else. */
export const isExternal = (d: NmDevice | undefined): boolean => !!d && d.state.includes('(externally)');
/** Whether the profile lives in memory only (NetworkManager's generated profiles for external devices, or `nmcli --temporary`). */
export const isInMemory = (p: NmProfile): boolean => p.filename.startsWith('/run/');
const profileKey = (p: NmProfile): string => `${p.name} (${p.type}) ${p.filename}`;

/** What to undo in NetworkManager to get back to a recorded view. */
export interface NmUndoPlan {
  /** Profiles to delete (UUIDs), with why. */
  deleteProfiles: { uuid: string; why: string }[];
  /** Devices that were configured outside NetworkManager before and are NetworkManager's now. */
  handBack: string[];
}

/**
 * What to undo to take NetworkManager from `now` back to `before`, for interfaces `inScope`
 * accepts. Deleted: profiles that did not exist (by UUID) and are not
 * NetworkManager's generated in-memory profile of an external device, and profiles that were
 * in memory and are on disk now (a generated profile nmstate took over). Handed back: devices in
 * scope that were `connected (externally)` and are not any more.
 */
export function nmUndoPlan(before: NmView, now: NmView, inScope: (iface: string) => boolean): NmUndoPlan {
  const beforeProfiles = new Map(before.profiles.map((p) => [p.uuid, p]));
  const beforeDevices = new Map(before.devices.map((d) => [d.name, d]));
  const nowDevices = new Map(now.devices.map((d) => [d.name, d]));
  const plan: NmUndoPlan = { deleteProfiles: [], handBack: [] };
  for (const p of now.profiles) {
    if (!inScope(p.iface)) continue;
    const was = beforeProfiles.get(p.uuid);
    const generated = isInMemory(p) && p.device !== undefined && isExternal(nowDevices.get(p.device));
    if (!was && !generated) plan.deleteProfiles.push({ uuid: p.uuid, why: `profile ${p.name} (${p.filename}) did not exist` });
    else if (was && isInMemory(was) && !isInMemory(p)) plan.deleteProfiles.push({ uuid: p.uuid, why: `profile ${p.name} was in memory (${was.filename}) and is on disk now (${p.filename})` });
  }
  for (const [name, d] of beforeDevices) {
    if (!inScope(name) || !isExternal(d)) continue;
    const n = nowDevices.get(name);
    if (n && !isExternal(n)) plan.handBack.push(name);
  }
  return plan;
}

/**
 * Differences between two views for interfaces `inScope` accepts: device states, and the profiles
 * (by name, type and file; generated in-memory profiles get a new UUID each time, so UUIDs are not
 * compared).
 */
export function nmDiffs(before: NmView, now: NmView, inScope: (iface: string) => boolean): string[] {
  const out: string[] = [];
  const nowDevices = new Map(now.devices.map((d) => [d.name, d]));
  for (const d of before.devices) {
    if (!inScope(d.name)) continue;
    const n = nowDevices.get(d.name);
    if (n && n.state !== d.state) out.push(`networkmanager device ${d.name}: ${d.state} → ${n.state}`);
  }
  const keys = (v: NmView): string[] => v.profiles.filter((p) => inScope(p.iface)).map(profileKey);
  const b = new Set(keys(before));
  const n = new Set(keys(now));
  for (const k of b) if (!n.has(k)) out.push(`networkmanager profile: missing ${k}`);
  for (const k of n) if (!b.has(k)) out.push(`networkmanager profile: extra ${k}`);
  return out;
}
