/**
 * The main job, run as a newcomer would run it without a terminal: `hack/demo.ts --once` brings up its
 * own cluster (Temporal with UI, etcd, kube-apiserver, 6 simulated nodes in 2 zones), starts the node
 * agents and the controller as processes, applies the staged demo policy with kubectl, promotes the
 * canary through the CLI, and exits 0 once `kubectl wait --for=condition=Available` returns.
 */
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('the main job', () => {
  it('given hack/demo.ts --once on kernel-mode nodes, should roll the staged policy out and exit 0 when it is Available', async () => {
    const child = spawn(process.execPath, [`${root}hack/demo.ts`, '--once', '--mode', 'kernel'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (code !== 0) console.log(out.slice(-6000));
    expect(code).toBe(0);
    expect(out).toContain('condition met');
    expect(out).toMatch(/Condition:\s+Available\s+6\/6 nodes successfully configured/);
    expect(out).toContain('the demo promotes it');
  }, 300_000);
});
