/**
 * A harness run: one folder that records everything the run created (processes, network namespaces,
 * files) as it creates it, so that teardown — by the same process, by `npm run cluster -- down`, by
 * the reaper after a crash, or by the stale-run sweep at the next start — removes exactly that.
 *
 * Layout of `<root>/<id>/`:
 *   run.json         owner process (or none for a detached `cluster up`) and creation time
 *   procs/<n>.json   one ProcRecord per started process
 *   netns/<ns>       one empty marker per network namespace, written before the namespace is made
 *   cluster.json     what clients need: addresses, kubeconfig, nodes
 * Many processes (jest workers) may add to one run; each writes only its own files.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { isAlive, procStartTime, stopProcess, type ProcRecord } from './proc.ts';

/** Prefix of every network namespace the harness creates. */
export const NETNS_PREFIX = 'knm-';

/** Folder holding all runs. */
export function runRoot(): string {
  return process.env.KNMSTATE_RUN_ROOT ?? '/tmp/knmstate/runs';
}

interface RunMeta {
  id: string;
  createdAt: string;
  owner: { pid: number; startTime: string } | null;
}

/** Handle on one run folder. */
export class Run {
  readonly id: string;
  readonly dir: string;

  constructor(id: string) {
    this.id = id;
    this.dir = join(runRoot(), id);
  }

  /**
   * Creates a new run. With `ownerPid`, the run is stale once that process is gone; with `null`,
   * it lives until torn down explicitly (a detached `cluster up`).
   */
  static create(opts: { id?: string; ownerPid?: number | null } = {}): Run {
    const id = opts.id ?? randomBytes(3).toString('hex');
    if (!/^[a-z0-9]{1,12}$/.test(id)) throw new Error(`run id "${id}" must be 1-12 lowercase letters or digits`);
    const run = new Run(id);
    if (existsSync(run.dir)) throw new Error(`run ${id} already exists at ${run.dir}`);
    mkdirSync(join(run.dir, 'procs'), { recursive: true });
    mkdirSync(join(run.dir, 'netns'), { recursive: true });
    const ownerPid = opts.ownerPid === undefined ? process.pid : opts.ownerPid;
    let owner: RunMeta['owner'] = null;
    if (ownerPid !== null) {
      const startTime = procStartTime(ownerPid);
      if (!startTime) throw new Error(`owner process ${ownerPid} is not running`);
      owner = { pid: ownerPid, startTime };
    }
    const meta: RunMeta = { id, createdAt: new Date().toISOString(), owner };
    writeFileSync(join(run.dir, 'run.json'), JSON.stringify(meta, null, 2));
    return run;
  }

  /** Opens an existing run. */
  static open(id: string): Run {
    const run = new Run(id);
    if (!existsSync(join(run.dir, 'run.json'))) throw new Error(`no run "${id}" under ${runRoot()}`);
    return run;
  }

  /** All runs under the root. */
  static list(): Run[] {
    if (!existsSync(runRoot())) return [];
    return readdirSync(runRoot())
      .filter((d) => existsSync(join(runRoot(), d, 'run.json')))
      .map((d) => new Run(d));
  }

  meta(): RunMeta {
    return JSON.parse(readFileSync(join(this.dir, 'run.json'), 'utf8')) as RunMeta;
  }

  /** A run whose owner process has gone. */
  isStale(): boolean {
    const { owner } = this.meta();
    return owner !== null && !isAlive(owner);
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  recordProc(rec: ProcRecord): void {
    writeFileSync(this.path('procs', `${rec.name}.json`), JSON.stringify(rec));
  }

  procs(): ProcRecord[] {
    return readdirSync(this.path('procs')).map((f) => JSON.parse(readFileSync(this.path('procs', f), 'utf8')) as ProcRecord);
  }

  async stopProc(name: string): Promise<void> {
    const file = this.path('procs', `${name}.json`);
    if (!existsSync(file)) return;
    await stopProcess(JSON.parse(readFileSync(file, 'utf8')) as ProcRecord);
    rmSync(file, { force: true });
  }

  /** Name for a network namespace of this run; recorded before it is created. */
  netnsName(suffix: string): string {
    const name = `${NETNS_PREFIX}${this.id}-${suffix}`;
    writeFileSync(this.path('netns', name), '');
    return name;
  }

  writeJson(name: string, value: unknown): void {
    writeFileSync(this.path(name), JSON.stringify(value, null, 2));
  }

  readJson<T>(name: string): T | undefined {
    const p = this.path(name);
    return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as T) : undefined;
  }

  /**
   * Removes everything the run made: processes (newest first), network namespaces and their
   * /etc/netns folders, then the run folder. Safe to call twice and from any process.
   */
  async teardown(): Promise<void> {
    if (!existsSync(this.dir)) return;
    const procs = existsSync(this.path('procs')) ? this.procs() : [];
    // Nodes' own processes (dnsmasq, NetworkManager, agents) first, then Temporal and the apiserver,
    // then etcd (the apiserver shuts down cleaner with its store still there). Each stage in parallel.
    const stage = (p: ProcRecord): number => (p.name === 'etcd' ? 2 : /^(temporal|kube-apiserver)$/.test(p.name) ? 1 : 0);
    for (const s of [0, 1, 2]) await Promise.all(procs.filter((p) => stage(p) === s).map((p) => this.stopProc(p.name)));
    const recorded = existsSync(this.path('netns')) ? readdirSync(this.path('netns')) : [];
    deleteNetns(new Set([...recorded, ...listNetns().filter((n) => n.startsWith(`${NETNS_PREFIX}${this.id}-`))]));
    rmSync(this.dir, { recursive: true, force: true });
    // NetworkManager nodes raised a host limit for this run; with the run gone, restore what no run needs.
    await (await import('./networkmanager.ts')).syncInotifyLeases();
  }
}

/** Network namespaces on this host (names only). */
export function listNetns(): string[] {
  try {
    return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter(Boolean);
  } catch {
    return [];
  }
}

/** Deletes network namespaces (only the harness's, by prefix) and their /etc/netns folders. */
export function deleteNetns(names: Iterable<string>): void {
  const present = new Set(listNetns());
  const batch: string[] = [];
  for (const n of names) {
    if (!n.startsWith(NETNS_PREFIX)) continue;
    if (present.has(n)) batch.push(`netns delete ${n}`);
    rmSync(`/etc/netns/${n}`, { recursive: true, force: true });
  }
  // -force: go on after a line fails (a namespace deleted meanwhile by another teardown).
  if (batch.length) execFileSync('ip', ['-force', '-batch', '-'], { input: batch.join('\n') + '\n', stdio: ['pipe', 'ignore', 'ignore'] });
}

/**
 * Sweeps runs whose owner died without tearing down (a killed test run), and namespaces with the
 * harness prefix that belong to no run. Returns the ids of the runs it removed.
 */
export async function sweepStaleRuns(): Promise<string[]> {
  const removed: string[] = [];
  const runs = Run.list();
  for (const run of runs) {
    if (run.isStale()) {
      await run.teardown();
      removed.push(run.id);
    }
  }
  const live = new Set(Run.list().map((r) => r.id));
  const orphans = listNetns().filter((n) => n.startsWith(NETNS_PREFIX) && !live.has(n.slice(NETNS_PREFIX.length).split('-')[0] ?? ''));
  deleteNetns(orphans);
  return removed;
}
