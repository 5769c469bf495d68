/**
 * The handle of a policy's running rollout workflow, for the commands that steer it: exit 4 when the
 * policy has no rollout workflow, exit 1 when its rollout already ended (nothing to steer).
 */
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { rolloutWorkflowId } from '../workflows/ids.ts';
import { progressQuery } from '../workflows/messages.ts';
import type { RolloutProgress } from '../crd/progress.ts';
import { CliError, notFoundError } from './errors.ts';
import { EXIT } from './exit-codes.ts';
import { QUERY_TIMEOUT_MS } from './load-rollout.ts';
import { firstLine, type Session } from './session.ts';

/** How long a describe may take. */
const DESCRIBE_TIMEOUT_MS = 5_000;

/** The running rollout's handle (latest run). */
export async function runningRollout(session: Session, policy: string, verb: string): Promise<WorkflowHandle> {
  const id = rolloutWorkflowId(policy);
  try {
    return await session.withDeadline(DESCRIBE_TIMEOUT_MS, async (client) => {
      const handle = client.workflow.getHandle(id);
      const d = await handle.describe();
      if (d.status.name !== 'RUNNING') {
        throw new CliError(`the rollout of ${policy} is not running (workflow ${id} is ${d.status.name}); nothing to ${verb}`, EXIT.failed, `see how it ended: kubectl nmstate get ${policy}`);
      }
      return handle;
    });
  } catch (err) {
    if (err instanceof CliError) throw err;
    if (err instanceof WorkflowNotFoundError) throw notFoundError(`no rollout workflow ${id} in Temporal namespace ${session.config.temporal.namespace}`, `check the policy name (kubectl nmstate get) and --namespace`);
    throw new CliError(`cannot read the rollout workflow ${id}: ${firstLine(err)}`);
  }
}

/** The live progress, or undefined when no worker answers in time. */
export async function liveProgress(session: Session, policy: string, timeoutMs = QUERY_TIMEOUT_MS): Promise<RolloutProgress | undefined> {
  try {
    return await session.withDeadline(timeoutMs, (client) => client.workflow.getHandle(rolloutWorkflowId(policy)).query(progressQuery));
  } catch {
    return undefined;
  }
}
