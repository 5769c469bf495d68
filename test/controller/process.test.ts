/**
 * The controller as a process (workers/controller.ts, configured from its environment), started
 * while Temporal is unreachable: it must keep running, answer not-ready, retry, and converge once
 * Temporal is back; then stop cleanly on SIGTERM. "Unreachable" is a TCP relay in front of the real
 * Temporal dev server that the test opens late (no mock: every byte goes to the real server).
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { eventually } from '../rollout/support.ts';
import { TEST_ROLLOUT_OPTIONS } from '../rollout/support.ts';
import { rolloutOptionVariable } from '../../workers/controller/config.ts';
import type { RolloutOptions } from '../../workflows/rollout-options.ts';
import { freePort, relay } from './relay.ts';
import { TEST_GROUP_LABEL, useControllerSuite } from './support.ts';

const G = 'ctp';
const s = useControllerSuite(G, 2);

async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  try {
    const r = await fetch(url);
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  } catch (err) {
    return { status: 0, body: { error: String(err) } };
  }
}

describe('controller process', () => {
  let child: ResultPromise | undefined;
  let exited = false;
  let proxy: ReturnType<typeof relay> | undefined;
  const output: string[] = [];
  afterAll(async () => {
    if (child?.pid && !exited) process.kill(child.pid, 'SIGKILL');
    await child?.catch(() => undefined);
    await proxy?.stop();
  });

  it('given Temporal unreachable at start, should run not-ready, converge once Temporal is back, and stop on SIGTERM', async () => {
    const [relayPort, healthPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
    const [host, port] = s.t.cluster.info.temporal.address.split(':') as [string, string];
    proxy = relay(relayPort, { host, port: Number(port) });
    const engine = Object.fromEntries(Object.entries(TEST_ROLLOUT_OPTIONS).map(([k, v]) => [rolloutOptionVariable(k as keyof RolloutOptions), String(v)]));
    child = execa(process.execPath, [fileURLToPath(new URL('../../workers/controller.ts', import.meta.url))], {
      env: {
        KUBECONFIG: s.t.cluster.info.kube.kubeconfig,
        TEMPORAL_ADDRESS: `127.0.0.1:${relayPort}`,
        TEMPORAL_NAMESPACE: s.t.cluster.info.temporal.namespace,
        KNMSTATE_TASK_QUEUE: s.queue,
        KNMSTATE_POLICY_SELECTOR: `${TEST_GROUP_LABEL}=${G}`,
        KNMSTATE_HEALTH_PORT: String(healthPort),
        KNMSTATE_METRICS_PORT: String(metricsPort),
        ...engine,
      },
      extendEnv: true,
      reject: false,
      all: true,
    });
    void child.finally(() => (exited = true));
    child.all?.on('data', (d: Buffer) => output.push(String(d)));
    const ready = `http://127.0.0.1:${healthPort}/readyz`;
    const live = `http://127.0.0.1:${healthPort}/healthz`;

    // Up, alive, not ready: the informers run, Temporal does not answer.
    const notReady = await eventually(async () => {
      const r = await get(ready);
      return r.status === 503 && r;
    }, 30_000, '/readyz to answer 503');
    expect((await get(live)).status).toBe(200);
    expect(JSON.stringify(notReady.body)).toMatch(/temporal/);

    // A policy applied meanwhile waits (its reconcile is retried), no node touched.
    const t0 = Date.now();
    await s.applyPolicy('ctp-late', { desiredState: { interfaces: [{ name: 'br-late', type: 'linux-bridge', state: 'up', bridge: { options: { stp: { enabled: false } }, port: [] } }] } });
    await eventually(() => output.join('').includes('reconcile failed; retrying'), 30_000, 'a retried reconcile');
    expect(s.witness().filter((e) => e.t >= t0)).toEqual([]);
    expect(exited).toBe(false);

    // Temporal back: ready, and the policy converges.
    await proxy.start();
    await eventually(async () => (await get(ready)).status === 200, 60_000, '/readyz to answer 200');
    const r = await s.kubectl(['wait', '--for=condition=Available', 'nncp/ctp-late', '--timeout=90s']);
    expect(r.exitCode).toBe(0);
    // Metrics on their own port, computed from the caches at scrape time (the selector keeps this suite's one policy).
    const metrics = await eventually(async () => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      return text.includes('kubernetes_nmstate_policies_status{status="Available"} 1') && text;
    }, 15_000, 'the policy counted Available on /metrics');
    expect(metrics).toContain('process_resident_memory_bytes');

    // SIGTERM: a clean stop.
    process.kill(child.pid!, 'SIGTERM');
    const done = await child;
    expect(done.exitCode).toBe(0);
    expect(output.join('')).toContain('controller stopped');
    // Logs: one JSON object per line, each with the same stable keys.
    const lines = output.join('').split('\n').filter(Boolean);
    const parsed = lines.map((line) => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        return line;
      }
    });
    expect(parsed.filter((x) => typeof x === 'string')).toEqual([]);
    for (const x of parsed) expect(x).toEqual(expect.objectContaining({ level: expect.any(Number), time: expect.any(Number), component: 'knmstate-controller', msg: expect.any(String) }));
  });
});
