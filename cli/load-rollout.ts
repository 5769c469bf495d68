/**
 * Reads one rollout: the workflow's progress query first (live, needs a worker to answer), then the
 * NNCP status and enactments when no workflow answers in time. Says which source it used and why.
 */
import { WorkflowNotFoundError } from '@temporalio/common';
import { rolloutWorkflowId } from '../workflows/ids.ts';
import { progressQuery } from '../workflows/messages.ts';
import { notFoundError, CliError } from './errors.ts';
import { progressFromStatus, rolloutView, type RolloutView } from './rollout-view.ts';
import { firstLine, type Session } from './session.ts';

/** How long a progress query may take before the CLI reads the NNCP status instead. */
export const QUERY_TIMEOUT_MS = 3_000;

/** Options of {@link loadRollout}. */
export interface LoadOptions {
  queryTimeoutMs?: number;
  /** Do not fall back to the NNCP status (commands that need the live workflow). */
  workflowOnly?: boolean;
}

/** The view of `policy`'s rollout; a {@link CliError} with exit 4 when neither source knows it. */
export async function loadRollout(session: Session, policy: string, opts: LoadOptions = {}): Promise<RolloutView> {
  const workflowId = rolloutWorkflowId(policy);
  let note: string;
  let temporalError: CliError | undefined;
  try {
    const progress = await session.withDeadline(opts.queryTimeoutMs ?? QUERY_TIMEOUT_MS, (client) => client.workflow.getHandle(workflowId).query(progressQuery));
    return rolloutView(progress, 'workflow', workflowId);
  } catch (err) {
    if (err instanceof CliError) {
      temporalError = err;
      note = err.message;
    } else if (err instanceof WorkflowNotFoundError) note = `no rollout workflow ${workflowId}`;
    else note = `the rollout workflow ${workflowId} did not answer: ${firstLine(err)}`;
  }
  if (opts.workflowOnly) {
    if (temporalError) throw temporalError;
    if (note.startsWith('no rollout workflow')) throw notFoundError(`${note} in Temporal namespace ${session.config.temporal.namespace}`, `is the policy's rollout started? (kubectl get nncp ${policy})`);
    throw new CliError(note, 1, 'is the controller running? (it runs the rollout workflow)');
  }
  let nncp;
  try {
    nncp = await session.getPolicy(policy);
  } catch (err) {
    // Neither source answers: the Temporal problem is the one to report first when there was one.
    throw temporalError ?? err;
  }
  if (!nncp) throw notFoundError(`policy ${policy} not found (no NodeNetworkConfigurationPolicy, ${note})`, 'list policies with: kubectl nmstate get');
  const nnces = await session.listEnactments(policy);
  return rolloutView(progressFromStatus(nncp, nnces), 'status', workflowId, note);
}
