/**
 * `kubectl nmstate` end to end on the real parts: the CLI spawned as a process (its sh wrapper, the
 * way kubectl runs a plugin) against the harness's kube-apiserver and Temporal, while real rollouts
 * run on the suite's kernel-mode nodes with real agents. Checks output and exit codes of get (tree,
 * table, json, --watch, --timeout), pause/resume, promote, abort --rollback, why, history and
 * plan -f (touching nothing, checked with ip inside the nodes).
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { NNCP, type NncpSpec } from '../../crd/nncp.ts';
import { runInNode } from '../../hack/cluster/nodes.ts';
import { tools } from '../../hack/cluster/tools.ts';
import { EXIT } from '../../cli/exit-codes.ts';
import { eventually, testPolicy, useRollout } from '../rollout/support.ts';
import { runCli } from './run-cli.ts';

const GROUP = 'cli';
const s = useRollout(GROUP, 3, { nodeMode: 'kernel' });
const CLI = fileURLToPath(new URL('../../cli/kubectl-nmstate', import.meta.url));

/** Policy names are workflow ids in a shared Temporal namespace: unique per run. */
const name = (what: string): string => `cli-${what}-${s.t.cluster.run.id}`;
const created = new Set<string>();

afterAll(async () => {
  for (const policy of created) {
    await s.objects.deleteClusterCustomObject({ group: NNCP.group, version: NNCP.version, plural: NNCP.plural, name: policy }).catch(() => undefined);
  }
}, 60_000);

/** Runs the CLI as a process against the harness, with no terminal and no colour variables. */
async function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(TEMPORAL_|KUBECONFIG$|NO_COLOR$|FORCE_COLOR$|KNMSTATE_TASK_QUEUE$)/.test(k)) env[k] = v;
  Object.assign(env, { KUBECONFIG: s.t.cluster.info.kube.kubeconfig, TEMPORAL_ADDRESS: s.t.cluster.info.temporal.address, TEMPORAL_NAMESPACE: s.t.cluster.info.temporal.namespace, USER: 'tester' }, extraEnv);
  const r = await execa(CLI, args, { env, extendEnv: false, reject: false, timeout: 120_000 });
  return { code: r.exitCode ?? -1, out: String(r.stdout), err: String(r.stderr) };
}

const bridge = (br: string): NncpSpec['desiredState'] => ({ interfaces: [{ name: br, type: 'linux-bridge', state: 'up', bridge: { options: { stp: { enabled: false } }, port: [] } }] });
const gated = (br: string): NncpSpec => testPolicy(GROUP, { desiredState: bridge(br), maxUnavailable: 2, rollout: { waves: [{ nodes: 1, pause: 'manual' }] } });

async function linkOn(node: string, link: string): Promise<boolean> {
  const n = s.t.nodes.nodes.find((x) => x.name === node)!;
  return (await runInNode(n, 'ip', ['link', 'show', 'dev', link])).exitCode === 0;
}

async function startAtGate(policy: string, spec: NncpSpec): Promise<void> {
  created.add(policy);
  const meta = await s.applyPolicy(policy, spec);
  await s.startRollout(policy, spec, meta);
  await eventually(async () => (await s.progress(policy)).phase === 'Waiting', 60_000, `${policy} at its gate`);
}

const ESC = '\u001b[';

describe('kubectl nmstate on a live rollout', () => {
  it('given a rollout at its manual gate, should show it (json, tree, table), time out with exit 2, then promote and watch it to Completed with exit 0, and read it from the NNCP status once no worker answers', async () => {
    const policy = name('gate');
    await startAtGate(policy, gated('br-cli-g'));

    const json = await cli(['get', policy, '-o', 'json']);
    expect(json.code).toBe(EXIT.ok);
    const doc = JSON.parse(json.out) as { source: string; ended: boolean; progress: { phase: string; gate: { afterWave: number; kind: string }; nodes: { name: string; phase: string }[] } };
    expect(doc).toMatchObject({ source: 'workflow', ended: false, progress: { phase: 'Waiting', gate: { afterWave: 1, kind: 'manual' } } });
    expect(doc.progress.nodes.map((n) => n.phase).sort()).toEqual(['Pending', 'Pending', 'Succeeded']);

    const tree = await cli(['get', policy]);
    expect(tree.code).toBe(EXIT.ok);
    expect(tree.out).not.toContain(ESC);
    expect(tree.out).toContain(`Gate:         manual, after wave 1: kubectl nmstate promote ${policy}`);
    expect(tree.out).toMatch(/wave 1 {2}\[██████████\] 1\/1/);
    expect(tree.out).toMatch(/wave 2 {2}\[░░░░░░░░░░\] 0\/2/);
    for (const n of s.nodeNames) expect(tree.out).toContain(n);

    const table = await cli(['get']);
    expect(table.code).toBe(EXIT.ok);
    expect(table.out).toMatch(new RegExp(`${policy}\\s+\\S+\\s+… Waiting\\s+1/2`));

    const early = Date.now();
    const timedOut = await cli(['get', policy, '--timeout', '2s']);
    expect(timedOut.code).toBe(EXIT.timeout);
    expect(timedOut.err).toContain(`timed out after 2s: the rollout of ${policy} is still Waiting`);
    expect(Date.now() - early).toBeGreaterThanOrEqual(2_000);

    const promoted = await cli(['promote', policy]);
    expect(promoted.code).toBe(EXIT.ok);
    expect(promoted.out).toMatch(new RegExp(`promoted ${policy}: gate after wave 1 open`));

    const watched = await cli(['get', policy, '--watch', '--timeout', '90s', '-o', 'json']);
    expect(watched.code).toBe(EXIT.ok);
    expect(JSON.parse(watched.out)).toMatchObject({ ended: true, condition: { type: 'Available' }, progress: { phase: 'Completed', counts: { succeeded: 3 } } });
    for (const n of s.nodeNames) expect(await linkOn(n, 'br-cli-g')).toBe(true);

    // No worker to answer the query: the same view from the NNCP status the rollout wrote.
    await s.stopWorker();
    try {
      const fallback = await cli(['get', policy, '-o', 'json']);
      expect(fallback.code).toBe(EXIT.ok);
      expect(JSON.parse(fallback.out)).toMatchObject({ source: 'status', ended: true, condition: { type: 'Available' }, progress: { phase: 'Completed', counts: { succeeded: 3 } } });
      expect((JSON.parse(fallback.out) as { note: string }).note).toContain(`the rollout workflow nncp/${policy} did not answer`);
    } finally {
      await s.startWorker();
    }
  });

  it('given a running rollout, should pause and resume it through the signals and say so', async () => {
    const policy = name('pause');
    await startAtGate(policy, gated('br-cli-p'));
    const paused = await cli(['pause', policy, '--reason', 'maintenance window']);
    expect(paused.code).toBe(EXIT.ok);
    expect(paused.out).toContain(`paused the rollout of ${policy}`);
    expect((await s.progress(policy)).paused).toBe(true);
    const resumed = await cli(['resume', policy]);
    expect(resumed.code).toBe(EXIT.ok);
    expect(resumed.out).toContain(`resumed the rollout of ${policy}`);
    expect((await s.progress(policy)).paused).toBe(false);
    // A gate is not opened by a resume; --wave for a gate that is not the current one approves ahead.
    const ahead = await cli(['promote', policy, '--wave', '2']);
    expect(ahead.code).toBe(EXIT.ok);
    expect(ahead.out).toContain('approved the gate after wave 2');
    await cli(['abort', policy]);
  });

  it('given abort --rollback at the gate, should print what the engine accepted, end RolledBack (exit 1) and refuse a second abort', async () => {
    const policy = name('abort');
    await startAtGate(policy, gated('br-cli-a'));
    const canary = (await s.progress(policy)).nodes.find((n) => n.phase === 'Succeeded')!.name;
    expect(await linkOn(canary, 'br-cli-a')).toBe(true);
    const others = s.nodeNames.filter((n) => n !== canary);

    const aborted = await cli(['abort', policy, '--rollback', '-o', 'json']);
    expect(aborted.code).toBe(EXIT.ok);
    const accepted = JSON.parse(aborted.out) as { mode: string; abortedNodes: string[]; inFlightNodes: string[]; revertNodes: string[] };
    expect(accepted).toEqual({ mode: 'rollback', abortedNodes: expect.arrayContaining(others) as unknown, inFlightNodes: [], revertNodes: [canary] });

    const end = await cli(['get', policy, '--timeout', '60s']);
    expect(end.code).toBe(EXIT.failed);
    expect(end.out).toContain('Phase:        ↶ RolledBack');
    expect(end.out).toContain('Abort:        rollback by kubectl-nmstate/tester');
    expect(await linkOn(canary, 'br-cli-a')).toBe(false);

    const again = await cli(['abort', policy]);
    expect(again.code).toBe(EXIT.failed);
    expect(again.err).toContain('is not running');

    const history = await cli(['history', policy, canary, '-o', 'json']);
    expect(history.code).toBe(EXIT.ok);
    const h = JSON.parse(history.out) as { nodes: { node: string; steps: { op: string; outcome: string; reverted?: boolean }[] }[] };
    expect(h.nodes).toHaveLength(1);
    expect(h.nodes[0]!.steps.map((x) => [x.op, x.outcome])).toEqual([
      ['apply', 'completed'],
      ['revert', 'completed'],
    ]);
    expect(h.nodes[0]!.steps[1]!.reverted).toBe(true);
  });

  it('given a policy whose gateway fails the ping probe, should watch it on a terminal to Halted (exit 1) and explain the node with why and history', async () => {
    const policy = name('fail');
    // A default route through a gateway that does not exist: the ping probe fails, the agent rolls back.
    const spec = testPolicy(GROUP, {
      desiredState: {
        interfaces: [{ name: 'eth0', type: 'veth', state: 'up', ipv4: { enabled: true, dhcp: false, address: [{ ip: '198.51.100.201', 'prefix-length': 24 }] }, ipv6: { enabled: true, dhcp: false, autoconf: false, address: [{ ip: '2001:db8:7::1', 'prefix-length': 64 }] } }],
        routes: { config: [{ destination: '0.0.0.0/0', state: 'absent' }, { destination: '0.0.0.0/0', 'next-hop-interface': 'eth0', 'next-hop-address': '198.51.100.254' }] },
      },
      maxUnavailable: 1,
      rollout: { maxFailures: 0 },
    });
    created.add(policy);
    const meta = await s.applyPolicy(policy, spec);
    await s.startRollout(policy, spec, meta);
    // In-process with a terminal: redrawn in place, in colour.
    const env = { KUBECONFIG: s.t.cluster.info.kube.kubeconfig, TEMPORAL_ADDRESS: s.t.cluster.info.temporal.address, TEMPORAL_NAMESPACE: s.t.cluster.info.temporal.namespace };
    const end = await runCli(['get', policy, '--watch', '--timeout', '90s'], env, true);
    expect(end.code).toBe(EXIT.failed);
    expect(end.out).toContain(`${ESC}H${ESC}2J`);
    expect(end.out).toContain(`${ESC}31m✖ Halted`);
    const failed = (await s.progress(policy)).nodes.find((n) => n.phase === 'Failed')!;
    expect(failed.lastErrorType).toBe('ProbeFailed');

    const why = await cli(['why', policy]);
    expect(why.code).toBe(EXIT.ok);
    expect(why.out.split('\n')[0]).toBe(`${failed.name} in the rollout of ${policy} (generation ${meta.generation}): ✖ Failed after 2 attempts`);
    expect(why.out).toContain('error:      ProbeFailed:');
    expect(why.out).toMatch(/probe: +ping failed after the change \(\d+ tries in [\d.]+s\): /);
    expect(why.out).toMatch(/rollback: +put back: .*add route 0\.0\.0\.0\/0 via 198\.51\.100\.1 dev eth0/);
    expect(why.out).toContain('remaining:  none: the node is as it was before');
    expect(why.out).toMatch(/attempts: +#1 ✖ ProbeFailed [\d.]+s, #2 ✖ ProbeFailed/);

    const history = await cli(['history', policy]);
    expect(history.code).toBe(EXIT.ok);
    expect(history.out).toContain(failed.name);
    expect(history.out).toMatch(/apply #1 .*✖ ProbeFailed/);
    expect(history.out).toMatch(/probes: ping ✖ [\d.]+s, dns ✔/);
    // retry (a new run of the stopped rollout) is tested in retry.test.ts, where the cause gets fixed.
  });

  it('given plan -f on the suite queue, should list the nodes in order with waves, limits and diffs, and touch nothing', async () => {
    const policy = name('plan');
    const dir = mkdtempSync(join(tmpdir(), 'knmstate-cli-plan-'));
    try {
      const file = join(dir, 'policy.yaml');
      writeFileSync(file, stringify({ apiVersion: 'nmstate.io/v1', kind: 'NodeNetworkConfigurationPolicy', metadata: { name: policy }, spec: gated('br-cli-plan') }));
      const r = await cli(['plan', '-f', file, '--task-queue', s.queue]);
      expect(r.err).toBe('');
      expect(r.code).toBe(EXIT.ok);
      expect(r.out).toContain(`Plan for policy ${policy}`);
      expect(r.out).toContain('Limits:  maxUnavailable 2, failure budget');
      expect(r.out).toContain('wave 1: 1 node, at most 1 at once, then a manual gate');
      expect(r.out).toContain('wave 2: 2 nodes, at most 2 at once');
      const order = [...s.nodeNames].sort();
      const lines = r.out.split('\n');
      order.forEach((n, i) => expect(lines.find((l) => l.includes(`${i + 1}. ${n}`))).toContain('interfaces +br-cli-plan'));
      for (const n of s.nodeNames) expect(await linkOn(n, 'br-cli-plan')).toBe(false);

      const wrongQueue = await cli(['plan', '-f', file, '--task-queue', `${s.queue}.nobody`]);
      expect(wrongQueue.code).toBe(EXIT.usage);
      expect(wrongQueue.err).toContain('no worker polls the task queue');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('given a policy that does not exist, should exit 4', async () => {
    const r = await cli(['get', name('nothing')]);
    expect(r.code).toBe(EXIT.notFound);
    expect(r.err).toContain('not found');
    expect((await cli(['pause', name('nothing')])).code).toBe(EXIT.notFound);
  });

  it('given a symlink to the wrapper on PATH, should run as a kubectl plugin: kubectl nmstate …', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'knmstate-cli-bin-'));
    try {
      symlinkSync(CLI, join(bin, 'kubectl-nmstate'));
      const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, KUBECONFIG: s.t.cluster.info.kube.kubeconfig, TEMPORAL_ADDRESS: s.t.cluster.info.temporal.address, TEMPORAL_NAMESPACE: s.t.cluster.info.temporal.namespace };
      const list = await execa(tools().kubectl, ['plugin', 'list'], { env, reject: false });
      expect(String(list.stdout)).toContain(join(bin, 'kubectl-nmstate'));
      const r = await execa(tools().kubectl, ['nmstate', 'get', name('nothing')], { env, reject: false });
      expect(r.exitCode).toBe(EXIT.notFound);
      expect(String(r.stderr)).toContain(`policy ${name('nothing')} not found`);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
