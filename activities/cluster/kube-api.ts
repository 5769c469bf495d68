/**
 * The few Kubernetes calls the cluster activities make, on @kubernetes/client-node: Nodes, the
 * NNCP and its status subresource, NNCEs and their status subresource, core/v1 Events. Lists are
 * paged so that a large cluster never comes back in one response. Requests share one connection
 * pool (./connection-pool.ts). Errors are the client's
 * ApiException (or a network error); callers classify them (see errors.ts).
 */
import { CoreV1Api, CustomObjectsApi, type CoreV1Event, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import { NNCE, type NodeNetworkConfigurationEnactment } from '../../crd/nnce.ts';
import { NNCP, type NodeNetworkConfigurationPolicy } from '../../crd/nncp.ts';
import type { ResourceRef } from '../../crd/schema.ts';
import { reuseConnections } from './connection-pool.ts';
import { apiStatus } from './errors.ts';

/** Items per page of a list call. */
export const LIST_PAGE_SIZE = 500;

/** Namespace of the events about cluster-scoped objects (where kubectl looks for them). */
export const EVENT_NAMESPACE = 'default';

const ref = (r: ResourceRef): { group: string; version: string; plural: string } => ({ group: r.group, version: r.version, plural: r.plural });

/** Resolves to undefined when the call answers 404. */
async function orNotFound<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (apiStatus(err) === 404) return undefined;
    throw err;
  }
}

/** Typed access to the objects the cluster activities read and write. */
export class ClusterApi {
  readonly #core: CoreV1Api;
  readonly #custom: CustomObjectsApi;

  constructor(kubeConfig: KubeConfig) {
    reuseConnections(kubeConfig);
    this.#core = kubeConfig.makeApiClient(CoreV1Api);
    this.#custom = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  /** Every Node, page by page. */
  async listNodes(): Promise<V1Node[]> {
    const out: V1Node[] = [];
    let cont: string | undefined;
    do {
      const page = await this.#core.listNode({ limit: LIST_PAGE_SIZE, ...(cont ? { _continue: cont } : {}) });
      out.push(...page.items);
      cont = page.metadata?._continue || undefined;
    } while (cont);
    return out;
  }

  /** One Node, or undefined when it is gone. */
  readNode(name: string): Promise<V1Node | undefined> {
    return orNotFound(this.#core.readNode({ name }));
  }

  /** The policy, or undefined when it is gone. */
  getPolicy(name: string): Promise<NodeNetworkConfigurationPolicy | undefined> {
    return orNotFound(this.#custom.getClusterCustomObject({ ...ref(NNCP), name }) as Promise<NodeNetworkConfigurationPolicy>);
  }

  /** Replaces the policy's status; `body.metadata.resourceVersion` guards against lost updates (409). */
  replacePolicyStatus(body: NodeNetworkConfigurationPolicy): Promise<NodeNetworkConfigurationPolicy> {
    return this.#custom.replaceClusterCustomObjectStatus({ ...ref(NNCP), name: body.metadata.name!, body }) as Promise<NodeNetworkConfigurationPolicy>;
  }

  /** The enactments whose labels match `labelSelector`, page by page. */
  async listEnactments(labelSelector: string): Promise<NodeNetworkConfigurationEnactment[]> {
    const out: NodeNetworkConfigurationEnactment[] = [];
    let cont: string | undefined;
    do {
      const page = (await this.#custom.listClusterCustomObject({ ...ref(NNCE), labelSelector, limit: LIST_PAGE_SIZE, ...(cont ? { _continue: cont } : {}) })) as {
        items: NodeNetworkConfigurationEnactment[];
        metadata?: { continue?: string };
      };
      out.push(...page.items);
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return out;
  }

  /** One enactment, or undefined when it does not exist. */
  getEnactment(name: string): Promise<NodeNetworkConfigurationEnactment | undefined> {
    return orNotFound(this.#custom.getClusterCustomObject({ ...ref(NNCE), name }) as Promise<NodeNetworkConfigurationEnactment>);
  }

  /** Creates an enactment (its status is ignored by the API server: write it with {@link replaceEnactmentStatus}). */
  createEnactment(body: NodeNetworkConfigurationEnactment): Promise<NodeNetworkConfigurationEnactment> {
    return this.#custom.createClusterCustomObject({ ...ref(NNCE), body }) as Promise<NodeNetworkConfigurationEnactment>;
  }

  /** Replaces an enactment's status, guarded by `body.metadata.resourceVersion`. */
  replaceEnactmentStatus(body: NodeNetworkConfigurationEnactment): Promise<NodeNetworkConfigurationEnactment> {
    return this.#custom.replaceClusterCustomObjectStatus({ ...ref(NNCE), name: body.metadata.name!, body }) as Promise<NodeNetworkConfigurationEnactment>;
  }

  /** Deletes an enactment; false when it was already gone. */
  async deleteEnactment(name: string): Promise<boolean> {
    return (await orNotFound(this.#custom.deleteClusterCustomObject({ ...ref(NNCE), name }).then(() => true))) === true;
  }

  /** Creates an event; false when an event of that name exists already. */
  async createEvent(body: CoreV1Event): Promise<boolean> {
    try {
      await this.#core.createNamespacedEvent({ namespace: body.metadata.namespace ?? EVENT_NAMESPACE, body });
      return true;
    } catch (err) {
      if (apiStatus(err) === 409) return false;
      throw err;
    }
  }
}
