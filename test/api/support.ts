/**
 * Helpers for the API tests: a client on the run's apiserver, kubectl, the examples, and API errors
 * turned into their Status message.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { ApiException, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { execa } from 'execa';
import { parseAllDocuments } from 'yaml';
import { openCluster, type Cluster } from '../../hack/cluster/cluster.ts';
import { NNCP } from '../../crd/index.ts';

/** Repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A client on the shared control plane. */
export interface Api {
  cluster: Cluster;
  kc: KubeConfig;
  custom: CustomObjectsApi;
  kubectl: (...args: string[]) => Promise<string>;
}

/** Attaches to the run's control plane (no simulated nodes: these tests only need the apiserver). */
export function connect(): Api {
  const cluster = openCluster();
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.info.kube.kubeconfig);
  return {
    cluster,
    kc,
    custom: kc.makeApiClient(CustomObjectsApi),
    kubectl: async (...args) => (await execa(cluster.tools.kubectl, ['--kubeconfig', cluster.info.kube.kubeconfig, ...args])).stdout,
  };
}

/** Every manifest under examples/, with the file it came from. */
export function examples(): { file: string; manifest: Record<string, unknown> }[] {
  const dir = join(ROOT, 'examples');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(dir, file), 'utf8'))
        .map((d) => d.toJS() as Record<string, unknown>)
        .filter(Boolean)
        .map((manifest) => ({ file, manifest })),
    );
}

/** The Status message of a failed API call (or the error text). */
export function apiMessage(err: unknown): string {
  if (err instanceof ApiException) {
    try {
      return (JSON.parse(String(err.body)) as { message?: string }).message ?? String(err.body);
    } catch {
      return String(err.body);
    }
  }
  return err instanceof Error ? err.message : String(err);
}

/** Creates an NNCP (dry run unless `persist`); resolves to the stored object or rejects with its message. */
export async function createNncp(api: Api, body: object, opts: { persist?: boolean; version?: string } = {}): Promise<Record<string, unknown>> {
  try {
    return (await api.custom.createClusterCustomObject({
      group: NNCP.group,
      version: opts.version ?? NNCP.version,
      plural: NNCP.plural,
      body,
      fieldValidation: 'Strict',
      ...(opts.persist ? {} : { dryRun: 'All' }),
    })) as Record<string, unknown>;
  } catch (err) {
    throw new Error(apiMessage(err), { cause: err });
  }
}

/** Deletes an NNCP, ignoring "not found". */
export async function deleteNncp(api: Api, name: string): Promise<void> {
  await api.custom.deleteClusterCustomObject({ group: NNCP.group, version: NNCP.version, plural: NNCP.plural, name }).catch((err: unknown) => {
    if (!(err instanceof ApiException && err.code === 404)) throw err;
  });
}

/** A nodeSelector that matches no node, so no controller ever rolls a test object out. */
export const NO_NODE = { 'knmstate.io/api-test': 'matches-no-node' };
