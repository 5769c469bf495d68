/**
 * Installs the nmstate.io API into a cluster: every generated CRD (crd/*.yaml) and the admission
 * policy + binding (deploy/admission/), by `kubectl apply --server-side` (idempotent: safe to call on
 * a cluster that already has them; kubectl rather than client-node's typed serializer, which drops
 * `x-kubernetes-*` keys it does not model). Returns once every CRD is Established and the admission policy enforces
 * (a ValidatingAdmissionPolicy takes effect asynchronously, so a bad object is dry-run until it is
 * rejected).
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiException, ApiextensionsV1Api, CustomObjectsApi, KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { NNCP } from '../../crd/nncp.ts';
import { ADMISSION_MESSAGES } from '../../crd/generate.ts';
import { eventually } from './wait.ts';
import { tools } from './tools.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The files {@link installCrds} applies: the committed CRDs and admission manifests. */
export function apiManifestFiles(): string[] {
  return [
    ...readdirSync(join(root, 'crd'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => join(root, 'crd', f)),
    ...readdirSync(join(root, 'deploy', 'admission'))
      .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
      .map((f) => join(root, 'deploy', 'admission', f)),
  ].sort();
}

/** The manifests {@link installCrds} applies, parsed. */
export function apiManifests(): KubernetesObject[] {
  return apiManifestFiles().flatMap((f) => parseAllDocuments(readFileSync(f, 'utf8')).map((d) => d.toJS() as KubernetesObject)).filter((o) => o?.kind);
}

/** Options of {@link installCrds}. */
export interface InstallCrdsOptions {
  /** Give up waiting after this long. @default 60_000 */
  timeoutMs?: number;
}

/** Applies the CRDs and the admission policy, then waits until they are Established and enforcing. */
export async function installCrds(kubeconfig: string, opts: InstallCrdsOptions = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const manifests = apiManifests();
  // Field manager `kubectl`, the one `kubectl apply --server-side` uses by default: a user who then
  // runs the README's `kubectl apply --server-side -k deploy/` updates the same objects as the same
  // manager. Under another manager that apply failed with a conflict on the admission policy's
  // `.spec.matchConstraints` (an atomic field the apiserver fills with defaults, so values differ).
  await promisify(execFile)(
    tools().kubectl,
    ['--kubeconfig', kubeconfig, 'apply', '--server-side', '--force-conflicts', '--field-manager=kubectl', ...apiManifestFiles().flatMap((f) => ['-f', f])],
    { timeout: timeoutMs },
  );

  const ext = kc.makeApiClient(ApiextensionsV1Api);
  await Promise.all(
    manifests
      .filter((m) => m.kind === 'CustomResourceDefinition')
      .map((m) =>
        eventually(
          async () => {
            const crd = await ext.readCustomResourceDefinition({ name: m.metadata!.name! });
            const established = crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
            return established ? true : (crd.status?.conditions ?? []);
          },
          { timeoutMs, intervalMs: 100, what: `CRD ${m.metadata!.name} Established` },
        ),
      ),
  );

  // The policy is enforcing once a dry-run create that breaks one of its rules is denied with its message.
  const custom = kc.makeApiClient(CustomObjectsApi);
  const probe = {
    apiVersion: NNCP.apiVersion,
    kind: NNCP.kind,
    metadata: { name: 'knmstate-admission-probe' },
    spec: { nodeSelector: { 'knmstate.io/probe': 'not a label value' } },
  };
  await eventually(
    async () => {
      try {
        await custom.createClusterCustomObject({ group: NNCP.group, version: NNCP.version, plural: NNCP.plural, body: probe, dryRun: 'All' });
        return false; // accepted: the policy is not active yet
      } catch (err) {
        const body = err instanceof ApiException ? String(err.body) : '';
        if (body.includes(ADMISSION_MESSAGES.selectorValues)) return true;
        throw err; // e.g. 404 while the new resource is not served yet; retried
      }
    },
    { timeoutMs, intervalMs: 200, what: `ValidatingAdmissionPolicy ${'nncp-validation-policy'} enforcing` },
  );
}
