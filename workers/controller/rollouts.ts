/**
 * The controller's side of the rollout workflows, on a Temporal Client: signal-with-start a policy's
 * revision, promote, cancel, ask whether a run is open, read a run's progress. One workflow id per
 * policy (`nncp/<policy>`), so every call of every controller replica lands on the same workflow.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { RolloutProgress } from '../../crd/progress.ts';
import { rolloutWorkflowId } from '../../workflows/ids.ts';
import { policyChangedSignal, progressQuery, promoteSignal, type PolicyRevision } from '../../workflows/messages.ts';
import type { policyRollout, PolicyRolloutInput } from '../../workflows/policy-rollout.ts';
import type { RolloutOptions } from '../../workflows/rollout-options.ts';
import { policyGenerationKey, policyNameKey } from '../../workflows/search-attributes.ts';

/** Who the controller says it is in control requests. */
export const CONTROLLER_IDENTITY = 'knmstate-controller';

/** Whether `err` says the workflow (or its open run) does not exist. */
export function isNotFound(err: unknown): boolean {
  if (err instanceof WorkflowNotFoundError) return true;
  const e = err as { name?: string; code?: number; message?: string } | undefined;
  // gRPC NOT_FOUND (5), e.g. "workflow execution already completed" for a signal or cancel of a closed run.
  return e?.name === 'WorkflowNotFoundError' || e?.code === 5 || /already completed|not found/i.test(e?.message ?? '');
}

/** A policy's rollout workflow, seen from the controller. */
export class Rollouts {
  readonly #client: Client;
  readonly #taskQueue: string;
  readonly #options: RolloutOptions | undefined;

  constructor(client: Client, taskQueue: string, options?: RolloutOptions) {
    this.#client = client;
    this.#taskQueue = taskQueue;
    this.#options = options;
  }

  #handle(policy: string): WorkflowHandle<typeof policyRollout> {
    return this.#client.workflow.getHandle<typeof policyRollout>(rolloutWorkflowId(policy));
  }

  /**
   * Sends `revision` to the policy's running rollout (it steers, supersedes or ignores it), or starts
   * a run with it when none is open. Returns the run id signalled.
   */
  async signalWithStart(policy: string, revision: PolicyRevision, approvedWave?: number): Promise<string> {
    const input: PolicyRolloutInput = {
      policy,
      revision,
      ...(this.#options && Object.keys(this.#options).length ? { options: this.#options } : {}),
      ...(approvedWave !== undefined ? { approvedWave } : {}),
    };
    const h = await this.#client.workflow.signalWithStart<typeof policyRollout, [PolicyRevision]>('policyRollout', {
      workflowId: rolloutWorkflowId(policy),
      taskQueue: this.#taskQueue,
      args: [input],
      signal: policyChangedSignal,
      signalArgs: [revision],
      typedSearchAttributes: [
        { key: policyNameKey, value: policy },
        { key: policyGenerationKey, value: String(revision.generation) },
      ],
      staticSummary: `Rollout of NodeNetworkConfigurationPolicy ${policy}`.slice(0, 200),
    });
    return h.signaledRunId;
  }

  /** Whether the policy's workflow has an open run. */
  async isRunning(policy: string): Promise<boolean> {
    try {
      const d = await this.#handle(policy).describe();
      return d.status.name === 'RUNNING';
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Approves manual gates up to wave `wave`; nothing when no run is open. */
  async promote(policy: string, wave: number): Promise<void> {
    try {
      await this.#handle(policy).signal(promoteSignal, { wave, requestedBy: CONTROLLER_IDENTITY, reason: 'annotation nmstate.io/rollout-approved-wave' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /**
   * Cancels the policy's open run and waits up to `waitMs` for it to close (its in-flight nodes are
   * undone by their agents, its last status written). A policy without an open run: nothing.
   * Returns whether a run was cancelled.
   */
  async cancel(policy: string, waitMs: number): Promise<boolean> {
    if (!(await this.isRunning(policy))) return false;
    const h = this.#handle(policy);
    try {
      await h.cancel();
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      h.result().then(
        () => undefined,
        () => undefined,
      ),
      new Promise<void>((r) => (timer = setTimeout(r, waitMs))),
    ]);
    clearTimeout(timer);
    return true;
  }

  /** The progress of the policy's latest run (open or closed), or undefined when there is none. */
  async progress(policy: string): Promise<RolloutProgress | undefined> {
    try {
      return await this.#handle(policy).query(progressQuery);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
}
