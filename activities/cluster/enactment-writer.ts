/**
 * Writes one node's NNCE `<node>.<policy>`: created when missing (labels `nmstate.io/policy` and
 * `nmstate.io/node`, owner reference to the Node, as upstream: no `controller`, no
 * `blockOwnerDeletion`, so writing it needs no right on Nodes beyond get), then its status
 * subresource, computed from the current status and re-read/recomputed on conflict. An enactment
 * that already describes a newer generation is left alone; a node that is gone gets none. What the
 * writer knows from its last write (or resolveNodes' list) saves the read: one request per known
 * enactment, two for a new one.
 */
import type { V1Node } from '@kubernetes/client-node';
import { enactmentStatus } from '../../crd/enactment-status.ts';
import { kubeTime } from '../../crd/conditions.ts';
import { enactmentName, LABEL_NODE, LABEL_POLICY, NNCE, type NodeNetworkConfigurationEnactment } from '../../crd/nnce.ts';
import type { EnactmentUpdate } from './contract.ts';
import { apiStatus } from './errors.ts';
import type { ClusterApi } from './kube-api.ts';
import type { ObjectCache } from './object-cache.ts';

/** Re-read and re-write rounds before a conflict is reported. */
export const CONFLICT_ROUNDS = 8;

/** What happened to one enactment. */
export type EnactmentOutcome = 'created' | 'updated' | 'newer-generation' | 'node-gone';

/** What the writer needs besides the API. */
export interface EnactmentWriteContext {
  api: ClusterApi;
  /** The enactments last seen (shared across reports). */
  cache: ObjectCache<NodeNetworkConfigurationEnactment>;
  policy: string;
  generation: number;
  /** The Node's uid when known (from resolveNodes), else it is read. */
  nodeUid(name: string): string | undefined;
  rememberNode(node: V1Node): void;
  /** Counts one conflict (for the result and the logs). */
  onConflict(): void;
  /** Waits a little before the next round. */
  backoff(round: number): Promise<void>;
}

/** The NNCE object (no status) for a node and a policy. */
export function newEnactment(node: string, nodeUid: string, policy: string): NodeNetworkConfigurationEnactment {
  return {
    apiVersion: NNCE.apiVersion,
    kind: NNCE.kind,
    metadata: {
      name: enactmentName(node, policy),
      labels: { [LABEL_POLICY]: policy, [LABEL_NODE]: node },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node, uid: nodeUid }],
    },
  };
}

/** Writes one enactment; rejects with the API error (the caller classifies it). */
export async function writeEnactment(ctx: EnactmentWriteContext, update: EnactmentUpdate): Promise<EnactmentOutcome> {
  const name = enactmentName(update.node, ctx.policy);
  for (let round = 1; ; round++) {
    const known = round === 1 ? ctx.cache.get(name) : undefined;
    let obj = known ? (known.exists ? known.object : undefined) : await ctx.api.getEnactment(name);
    let created = false;
    if (!obj) {
      let uid = ctx.nodeUid(update.node);
      if (!uid) {
        const node = await ctx.api.readNode(update.node);
        if (!node?.metadata?.uid) return 'node-gone';
        ctx.rememberNode(node);
        uid = node.metadata.uid;
      }
      try {
        obj = await ctx.api.createEnactment(newEnactment(update.node, uid, ctx.policy));
        created = true;
      } catch (err) {
        if (apiStatus(err) !== 409 || round >= CONFLICT_ROUNDS) throw err;
        ctx.onConflict();
        continue; // created by another writer meanwhile (or the cache was wrong): read it
      }
    }
    if ((obj.status?.policyGeneration ?? 0) > ctx.generation) {
      ctx.cache.seen(name, obj);
      return 'newer-generation';
    }
    const status = enactmentStatus(obj.status, update, { policy: ctx.policy, generation: ctx.generation, now: kubeTime(new Date()) });
    try {
      ctx.cache.seen(name, await ctx.api.replaceEnactmentStatus({ ...obj, status }));
      return created ? 'created' : 'updated';
    } catch (err) {
      ctx.cache.forget(name);
      const code = apiStatus(err);
      if ((code !== 409 && code !== 404) || round >= CONFLICT_ROUNDS) throw err;
      if (code === 409) ctx.onConflict();
      if (code === 409) await ctx.backoff(round);
    }
  }
}
