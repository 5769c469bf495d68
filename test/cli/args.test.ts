/**
 * Flags, configuration and files the CLI refuses before it talks to anything, each with exit 3 (or 1
 * for a manifest with problems) and a message that says what to do; plus help, completion and the
 * configuration rules (a flag wins over its variable, the same variable names as the node agent).
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, resolveTaskQueue } from '../../cli/config.ts';
import { EXIT } from '../../cli/exit-codes.ts';
import { fieldPath, readManifest } from '../../cli/manifest.ts';
import { runCli } from './run-cli.ts';

/** A local port with nothing listening on it (bound, then released). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('usage errors', () => {
  it('given no arguments, should print the help with exit codes and exit 3', async () => {
    const r = await runCli([]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.out).toContain('Exit codes:');
  });

  it('given --help, should exit 0 and document the exit codes and the variables', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('4  policy, rollout or node not found');
    expect(r.out).toContain('TEMPORAL_ADDRESS');
    const g = await runCli(['get', '--help']);
    expect(g.code).toBe(0);
    expect(g.out).toContain('--watch');
    expect(g.out).toContain('2  --timeout passed before the rollout ended');
  });

  it.each([
    [['bogus'], "unknown command 'bogus'"],
    [['get', 'p', '-o', 'xml'], 'must be one of json, yaml'],
    [['get', 'p', '--timeout', 'soon'], 'must be a duration'],
    [['promote', 'p', '--wave', '0'], 'must be an integer >= 1'],
    [['plan'], "required option '-f, --filename <file>' not specified"],
    [['pause'], "missing required argument 'policy'"],
  ])('given %j, should exit 3 and say what is wrong', async (argv, message) => {
    const r = await runCli(argv);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toContain(message);
  });

  it('given a bad Temporal address or a certificate without its key, should exit 3 naming the flag and the variable', async () => {
    const a = await runCli(['get', 'p', '--address', 'nohostport']);
    expect(a.code).toBe(EXIT.usage);
    expect(a.err).toContain('--address / TEMPORAL_ADDRESS: must be host:port');
    const t = await runCli(['pause', 'p'], { TEMPORAL_TLS_CLIENT_CERT_PATH: '/x.crt' });
    expect(t.code).toBe(EXIT.usage);
    expect(t.err).toContain('--tls-key / TEMPORAL_TLS_CLIENT_KEY_PATH: a client certificate and its key go together');
  });

  it('given a Temporal address nothing listens on, should exit 3 with what to set', async () => {
    const port = await closedPort();
    const r = await runCli(['pause', 'p'], { TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toContain(`cannot reach Temporal at 127.0.0.1:${port} (from TEMPORAL_ADDRESS)`);
    expect(r.err).toContain('hint: set TEMPORAL_ADDRESS or --address');
  });

  it('given a kubeconfig that does not exist or a context it lacks, should exit 3 with what to set', async () => {
    const r = await runCli(['get', '--kubeconfig', '/nonexistent/kubeconfig']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toContain('cannot read the kubeconfig /nonexistent/kubeconfig');
    expect(r.err).toContain('hint: set --kubeconfig or KUBECONFIG');
    const dir = mkdtempSync(join(tmpdir(), 'knmstate-cli-'));
    try {
      const kc = join(dir, 'kubeconfig');
      writeFileSync(kc, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://192.0.2.1:6443"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: a, context: {cluster: c, user: u}}]\ncurrent-context: a\n');
      const c = await runCli(['get', '--context', 'other'], { KUBECONFIG: kc });
      expect(c.code).toBe(EXIT.usage);
      expect(c.err).toContain('the kubeconfig has no context "other" (it has: a)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('given completion for bash, zsh and fish, should print scripts for the first two and refuse the third', async () => {
    const b = await runCli(['completion', 'bash']);
    expect(b.code).toBe(0);
    expect(b.out).toContain('complete -F _kubectl_nmstate kubectl-nmstate');
    expect(b.out).toMatch(/promote\) opts="--wave/);
    expect((await runCli(['completion', 'zsh'])).out).toContain('bashcompinit');
    expect((await runCli(['completion', 'fish'])).code).toBe(EXIT.usage);
  });
});

describe('plan -f: the manifest is checked before anything runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'knmstate-cli-plan-'));
  const file = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('given a manifest with schema and desiredState problems, should list them by field path and exit 1 without connecting', async () => {
    const f = file(
      'bad.yaml',
      `apiVersion: nmstate.io/v1
kind: NodeNetworkConfigurationPolicy
metadata: {name: bad}
spec:
  maxUnavailable: "150%"
  rollout: {waves: [{nodes: 0}], onFailure: explode}
  desiredState:
    interfaces:
      - {name: br1, type: linux-bridge, state: up, ipv4: {enabled: true, address: [{ip: 192.0.2.300, prefix-length: 24}]}}
`,
    );
    // An address nothing listens on: a plan that connected would exit 3, not 1.
    const r = await runCli(['plan', '-f', f], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(r.code).toBe(EXIT.failed);
    expect(r.err).toContain('problems; nothing was planned');
    expect(r.err).toContain('spec.maxUnavailable:');
    expect(r.err).toContain('spec.rollout.waves[0].nodes:');
    expect(r.err).toContain('spec.rollout.onFailure:');
    expect(r.err).toContain('spec.desiredState.interfaces[0].ipv4.address[0].ip:');
  });

  it('given a file that is missing, not YAML, or not a policy, should say so', async () => {
    expect((await runCli(['plan', '-f', join(dir, 'none.yaml')])).code).toBe(EXIT.usage);
    const notYaml = await runCli(['plan', '-f', file('broken.yaml', 'kind: [unclosed\n')]);
    expect(notYaml.code).toBe(EXIT.failed);
    expect(notYaml.err).toContain('YAML:');
    const other = await runCli(['plan', '-f', file('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n')]);
    expect(other.code).toBe(EXIT.failed);
    expect(other.err).toContain('kind: must be NodeNetworkConfigurationPolicy, got "ConfigMap"');
  });

  it('given field paths, should print indexes in brackets', () => {
    expect(fieldPath(['spec', 'rollout', 'waves', 0, 'nodes'])).toBe('spec.rollout.waves[0].nodes');
    expect(readManifest('---\n---\n')).toEqual([]);
  });
});

describe('configuration', () => {
  it('given a flag and its variable, should take the flag; given an API key, should turn TLS on', () => {
    const r = resolveConfig({ address: 'flag:7233', namespace: 'ns' }, { TEMPORAL_ADDRESS: 'env:7233', TEMPORAL_NAMESPACE: 'envns', TEMPORAL_API_KEY: 'k' });
    expect(r.config).toMatchObject({ temporal: { address: 'flag:7233', addressFrom: '--address', namespace: 'ns', apiKey: 'k', tls: true } });
    expect(resolveConfig({}, {}).config).toMatchObject({ temporal: { address: 'localhost:7233', namespace: 'default', tls: false }, kube: {} });
    expect(resolveConfig({ tlsCa: '/ca.pem', kubeconfig: '/k', context: 'c' }, {}).config).toMatchObject({ temporal: { tls: { serverRootCACertificatePath: '/ca.pem' } }, kube: { kubeconfig: '/k', context: 'c' } });
    expect(resolveConfig({}, { TEMPORAL_TLS: 'maybe' }).problems).toEqual(['TEMPORAL_TLS: must be 1, 0, true or false, got "maybe"']);
  });

  it('given --task-queue or KNMSTATE_TASK_QUEUE, should use it; else the controller queue', () => {
    expect(resolveTaskQueue('q1', { KNMSTATE_TASK_QUEUE: 'q2' })).toBe('q1');
    expect(resolveTaskQueue(undefined, { KNMSTATE_TASK_QUEUE: 'q2' })).toBe('q2');
    expect(resolveTaskQueue(undefined, {})).toBe('knmstate.cluster');
  });
});
