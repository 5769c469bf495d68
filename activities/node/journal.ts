/**
 * The node's journal, under `<stateDir>/nodes/<node>/`, so that an apply interrupted by a crash is
 * finished or undone by the next attempt (or the next agent start) before anything else:
 *
 *   agent.lock         PID (and start time) of the agent serving this node; a second live agent is refused
 *   inflight.json      the attempt in progress: op, policy, generation, phase, the state to go back to
 *                      (the snapshot) and the state being applied (which bounds what is restored)
 *   applied/<policy>.json  per policy, the snapshot taken before each applied generation (newest 5),
 *                      for revertNodeState
 *
 * Every write is atomic (temp file, fsync, rename, fsync of the folder): after a crash a file is
 * either the old or the new version.
 */
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CapturedStates, NetworkState, NmstateMode } from '../../crd/network-state.ts';
import { processStartTime } from '../proc.ts';
import type { NodeViews } from './restore.ts';
import { InvalidConfigurationError, KnmstateError } from '../../crd/errors.ts';

/** Phases of an attempt, in order. */
export type InflightPhase = 'applying' | 'applied' | 'committing' | 'committed' | 'restoring';

/** The attempt in progress. */
export interface InflightRecord {
  version: 1;
  id: string;
  op: 'apply' | 'revert';
  policy: string;
  generation: number;
  mode: NmstateMode;
  phase: InflightPhase;
  /** The state to go back to when undoing: the snapshot before the apply (or, for a revert, the recorded one). */
  target: NetworkState;
  /** What was being applied (the rendered desired state); it bounds what a restore touches. */
  desired: NetworkState;
  /** The kernel's (and NetworkManager's) view before the change, which an exact restore puts back (./restore.ts). */
  views?: NodeViews;
  capturedStates?: CapturedStates;
  /** nmstatectl apply's PID while it runs (an agent killed mid-apply leaves it running). */
  childPid?: number;
  agentPid: number;
  startedAt: string;
  updatedAt: string;
}

/** The snapshot taken before one applied policy generation. */
export interface AppliedRecord {
  policy: string;
  generation: number;
  appliedAt: string;
  /** The state before the apply. */
  snapshot: NetworkState;
  /** The rendered state that was applied. */
  desired: NetworkState;
  /** The kernel's (and NetworkManager's) view before the apply (./restore.ts). */
  views?: NodeViews;
}

/** Thrown when another live agent holds the node's lock. */
export class AgentLockedError extends KnmstateError {
  constructor(message: string) {
    super('AgentLocked', message);
  }
}

const KEEP_GENERATIONS = 5;
const locked = new Set<string>();

let tmpSeq = 0;

async function writeAtomic(file: string, data: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${++tmpSeq}`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  const dir = await open(join(file, '..'), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KnmstateError('JournalUnreadable', `journal file ${file} is unreadable: ${(err as Error).message}`, { cause: err });
  }
}

/** One node's journal. */
export class Journal {
  readonly dir: string;
  /** inflight.json writes, in call order (an async write started earlier never lands later). */
  #writes: Promise<void> = Promise.resolve();

  constructor(stateDir: string, node: string) {
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(node)) throw new InvalidConfigurationError(`journal: node name ${JSON.stringify(node)} is not a valid Kubernetes node name`);
    this.dir = join(stateDir, 'nodes', node);
  }

  #file(name: string): string {
    return join(this.dir, name);
  }

  /**
   * Creates the folder and takes the node's lock. Refuses when a live process (this one included,
   * through another host) already serves the node; a lock left by a dead agent is taken over.
   */
  async lock(): Promise<void> {
    await mkdir(join(this.dir, 'applied'), { recursive: true, mode: 0o700 });
    if (locked.has(this.dir)) throw new AgentLockedError(`node journal ${this.dir} is already in use in this process`);
    const file = this.#file('agent.lock');
    const held = await readJson<{ pid: number; startTime?: string }>(file).catch(() => undefined);
    if (held && held.pid !== process.pid && held.startTime && processStartTime(held.pid) === held.startTime) {
      throw new AgentLockedError(`another agent (pid ${held.pid}) serves this node (lock ${file})`);
    }
    await writeAtomic(file, JSON.stringify({ pid: process.pid, startTime: processStartTime(process.pid) }));
    locked.add(this.dir);
  }

  /** Releases the lock taken by {@link lock}. */
  async unlock(): Promise<void> {
    if (!locked.delete(this.dir)) return;
    const file = this.#file('agent.lock');
    const held = await readJson<{ pid: number }>(file).catch(() => undefined);
    if (held?.pid === process.pid) await rm(file, { force: true });
  }

  readInflight(): Promise<InflightRecord | undefined> {
    return readJson<InflightRecord>(this.#file('inflight.json'));
  }

  /** Writes the attempt record; writes complete in the order they were called. */
  writeInflight(rec: InflightRecord): Promise<void> {
    const data = JSON.stringify({ ...rec, updatedAt: new Date().toISOString() });
    return this.#queue(() => writeAtomic(this.#file('inflight.json'), data));
  }

  /** Removes the attempt record (after everything it covers is done or undone). */
  clearInflight(): Promise<void> {
    return this.#queue(async () => {
      await rm(this.#file('inflight.json'), { force: true });
      const dir = await open(this.dir, 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    });
  }

  #queue(fn: () => Promise<void>): Promise<void> {
    const next = this.#writes.then(fn);
    this.#writes = next.catch(() => undefined);
    return next;
  }

  #appliedFile(policy: string): string {
    return join(this.dir, 'applied', `${encodeURIComponent(policy)}.json`);
  }

  /**
   * Records an applied generation. A record that already exists for the same generation keeps its
   * snapshot: a retried apply of a generation that had already committed must not replace the
   * state before the first apply with the state after it.
   */
  async recordApplied(rec: AppliedRecord): Promise<void> {
    const file = this.#appliedFile(rec.policy);
    const all = (await readJson<AppliedRecord[]>(file)) ?? [];
    const existing = all.find((r) => r.generation === rec.generation);
    const next = [...all.filter((r) => r.generation !== rec.generation), existing ? { ...rec, snapshot: existing.snapshot, ...(existing.views ? { views: existing.views } : {}) } : rec]
      .sort((a, b) => a.generation - b.generation)
      .slice(-KEEP_GENERATIONS);
    await writeAtomic(file, JSON.stringify(next));
  }

  async findApplied(policy: string, generation: number): Promise<AppliedRecord | undefined> {
    return ((await readJson<AppliedRecord[]>(this.#appliedFile(policy))) ?? []).find((r) => r.generation === generation);
  }

  async removeApplied(policy: string, generation: number): Promise<void> {
    const file = this.#appliedFile(policy);
    const all = (await readJson<AppliedRecord[]>(file)) ?? [];
    const rest = all.filter((r) => r.generation !== generation);
    if (rest.length === all.length) return;
    if (rest.length) await writeAtomic(file, JSON.stringify(rest));
    else await rm(file, { force: true });
  }

  /** Policies with applied records (for diagnostics). */
  async appliedPolicies(): Promise<string[]> {
    const files = await readdir(join(this.dir, 'applied')).catch(() => [] as string[]);
    return files.filter((f) => f.endsWith('.json')).map((f) => decodeURIComponent(f.slice(0, -5)));
  }
}
