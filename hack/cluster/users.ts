/**
 * Least-privilege users for RBAC tests: a ServiceAccount bound to exactly the given rules, with a
 * token from the TokenRequest API and a kubeconfig of its own.
 */
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api, type V1PolicyRule } from '@kubernetes/client-node';
import { writeKubeconfig, type KubeInfo } from './kube.ts';
import type { Run } from './run.ts';

/** Namespace holding the harness's minted users. */
export const USERS_NAMESPACE = 'knmstate-test-users';

/** A minted user. */
export interface MintedUser {
  name: string;
  /** `system:serviceaccount:<ns>:<name>`: the name RBAC and audit logs see. */
  username: string;
  token: string;
  kubeconfig: string;
}

/**
 * Creates (or reuses) a ServiceAccount `name`, a ClusterRole with `rules` bound to it, and returns a
 * kubeconfig authenticating as it with a 1-hour token.
 */
export async function mintUser(run: Run, kube: KubeInfo, name: string, rules: V1PolicyRule[]): Promise<MintedUser> {
  const kc = new KubeConfig();
  kc.loadFromFile(kube.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const ignoreExists = (err: unknown): void => {
    if ((err as { code?: number }).code !== 409) throw err;
  };
  await core.createNamespace({ body: { metadata: { name: USERS_NAMESPACE } } }).catch(ignoreExists);
  await core.createNamespacedServiceAccount({ namespace: USERS_NAMESPACE, body: { metadata: { name } } }).catch(ignoreExists);
  const role = `knmstate-test-user:${name}`;
  await rbac.createClusterRole({ body: { metadata: { name: role }, rules } }).catch(ignoreExists);
  await rbac
    .createClusterRoleBinding({
      body: {
        metadata: { name: role },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
        subjects: [{ kind: 'ServiceAccount', name, namespace: USERS_NAMESPACE }],
      },
    })
    .catch(ignoreExists);
  const { token, kubeconfig } = await serviceAccountKubeconfig(run, kube, USERS_NAMESPACE, name);
  return { name, username: `system:serviceaccount:${USERS_NAMESPACE}:${name}`, token, kubeconfig };
}

/**
 * A 1-hour token (TokenRequest API) for an existing ServiceAccount, and a kubeconfig using it: e.g. to
 * run a component under exactly the RBAC that deploy/ gives it.
 */
export async function serviceAccountKubeconfig(run: Run, kube: KubeInfo, namespace: string, name: string): Promise<{ token: string; kubeconfig: string }> {
  const kc = new KubeConfig();
  kc.loadFromFile(kube.kubeconfig);
  const tr = await kc.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: ['https://kubernetes.default.svc'], expirationSeconds: 3600 } },
  });
  const token = tr.status?.token;
  if (!token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
  return { token, kubeconfig: writeKubeconfig(run.path(`kubeconfig-${namespace}-${name}`), kube, `${namespace}-${name}`, token) };
}
