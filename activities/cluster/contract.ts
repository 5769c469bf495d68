/**
 * The cluster-side activities of the rollout engine, as the rollout workflow calls them on the
 * controller's queue (`knmstate.cluster`). One writer: only these activities write NNCP status,
 * NNCEs and the rollout's events. Plain JSON in and out (they cross Temporal); no I/O in this file,
 * so workflows import it as types.
 *
 *   const cluster = proxyActivities<ClusterActivities>({ taskQueue: CLUSTER_TASK_QUEUE, startToCloseTimeout: '1m' });
 */
import type { EnactmentView } from '../../crd/enactment-status.ts';
import type { NncpSpec } from '../../crd/nncp.ts';
import type { RolloutProgress } from '../../crd/progress.ts';

/** Input of {@link ClusterActivities.resolveNodes}. */
export interface ResolveNodesInput {
  policy: string;
  generation: number;
  /** The selectors of the policy (`nodeSelector` and `rollout.nodeSelectorTerms`). */
  spec: Pick<NncpSpec, 'nodeSelector' | 'rollout'>;
}

/** A node that matches the policy. */
export interface ResolvedNode {
  name: string;
  labels: Record<string, string>;
  /** The Node's `Ready` condition is True. */
  ready: boolean;
  /** This policy's enactment on the node, when one exists. */
  enactment?: {
    /** `status.policyGeneration`. */
    generation: number;
    /** The True condition's type (`Available`, `Failing`, `Progressing`, `Pending`, `Aborted`), if any. */
    condition?: string;
  };
}

/** Result of {@link ClusterActivities.resolveNodes}. */
export interface ResolveNodesResult {
  /** Matching nodes (both selectors), in name order; the workflow orders them. */
  nodes: ResolvedNode[];
}

/** One node's enactment as the workflow wants it written: the view its NNCE status is computed from. */
export type EnactmentUpdate = EnactmentView;

/** A Warning event on the policy (upstream: `ReconcileFailed` on node failure or abort). */
export interface RolloutEvent {
  reason: 'ReconcileFailed';
  message: string;
  /** The node concerned, when there is one. */
  node?: string;
}

/** Input of {@link ClusterActivities.reportStatus}. */
export interface ReportStatusInput {
  policy: string;
  /** `metadata.uid` of the policy the rollout applies; a policy of the same name with another uid is left alone. */
  uid?: string;
  generation: number;
  /** The progress: the NNCP conditions and `status.rollout` are computed from it. */
  progress: RolloutProgress;
  /**
   * `progress.nodes` holds only the nodes that changed since the last report written; the other
   * entries of `status.rollout.nodes` stay as they are. When the status does not show this rollout
   * (another start time or generation), nothing is written and the result's reason is
   * `FullReportNeeded`: send the report again with every node.
   */
  nodesChangedOnly?: boolean;
  /** Enactments that changed since the last report (created when missing, owner: the Node). */
  enactments: EnactmentUpdate[];
  events?: RolloutEvent[];
  /**
   * The workflow running the rollout, for `status.rollout.workflowId`. Absent: the calling
   * workflow's id when run as an activity, else the id already in the status.
   */
  workflowId?: string;
  /**
   * Rate limit: the activity returns no sooner than this long after its write, so a workflow that
   * reports in a loop writes at most 1000/minIntervalMs times a second. @default 0
   */
  minIntervalMs?: number;
}

/** Result of {@link ClusterActivities.reportStatus}. */
export interface ReportStatusResult {
  /** False when the NNCP already shows a newer generation (nothing was written) or is gone. */
  written: boolean;
  reason?: string;
  /** Write conflicts met (and overcome by re-reading) on the way; absent when none. */
  conflicts?: number;
}

/** Input of {@link ClusterActivities.deleteEnactments}. */
export interface DeleteEnactmentsInput {
  policy: string;
  /** Keep the enactments of these nodes; absent: delete every enactment of the policy. */
  keepNodes?: string[];
}

/** The cluster-side activities. */
export interface ClusterActivities {
  /** Lists the Nodes that match the policy, with readiness and this policy's enactment on each. */
  resolveNodes(input: ResolveNodesInput): Promise<ResolveNodesResult>;
  /** Writes the NNCP status, the changed NNCEs and events; retried on conflict; never goes back in generation. */
  reportStatus(input: ReportStatusInput): Promise<ReportStatusResult>;
  /** Deletes the policy's enactments (all, or those of nodes not kept). */
  deleteEnactments(input: DeleteEnactmentsInput): Promise<{ deleted: string[] }>;
}
