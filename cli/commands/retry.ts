/**
 * `retry <policy>`: re-runs a stopped rollout (Halted or RolledBack) of the policy's current
 * generation. It starts a new run of the same workflow id with the last run's settings; the new run
 * counts the nodes whose enactment already shows this generation Available as done, so only the nodes
 * that failed, were aborted or were rolled back are applied again. Fix the cause first
 * (`kubectl nmstate why <policy>`): a retry of an unchanged failure fails the same way.
 */
import { Command } from 'commander';
import { defaultPayloadConverter } from '@temporalio/common';
import type { PolicyRolloutInput } from '../../workflows/policy-rollout.ts';
import { rolloutWorkflowId } from '../../workflows/ids.ts';
import type { CommandContext } from '../context.ts';
import { CliError, notFoundError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { loadRollout } from '../load-rollout.ts';
import { firstLine } from '../session.ts';

/** Rollout phases a retry starts again from. */
const RETRYABLE = ['Halted', 'RolledBack'];

/** The `retry` command. */
export function retryCommand(ctx: CommandContext, done: (code: number) => void): Command {
  return new Command('retry')
    .description('re-run a stopped (Halted or RolledBack) rollout: only the nodes not configured are applied again')
    .argument('<policy>', 'policy (NNCP) name')
    .action(async (policy: string) => {
      const session = ctx.session();
      const view = await loadRollout(session, policy);
      const g = view.progress;
      if (!view.ended) {
        ctx.io.out(`the rollout of ${policy} is still ${g.phase}: nodes are retried by the engine up to their attempt limit; nothing to retry yet.\n  to stop it: kubectl nmstate abort ${policy} [--rollback]\n`);
        return done(EXIT.failed);
      }
      if (!RETRYABLE.includes(g.phase)) {
        ctx.io.out(`the rollout of ${policy} generation ${g.generation} ended ${g.phase}: nothing to retry.\n`);
        return done(g.phase === 'Completed' ? EXIT.ok : EXIT.failed);
      }
      const nncp = await session.getPolicy(policy);
      if (!nncp) throw notFoundError(`no NodeNetworkConfigurationPolicy ${policy}`, 'check the name: kubectl nmstate get');
      const id = rolloutWorkflowId(policy);
      const again = g.nodes.filter((n) => n.phase !== 'Succeeded' && n.phase !== 'Skipped').map((n) => n.name);
      const started = await session.withDeadline(10_000, async (client) => {
        const handle = client.workflow.getHandle(id);
        const desc = await handle.describe();
        if (desc.status.name === 'RUNNING') throw new CliError(`the rollout workflow ${id} is running again (someone else started it)`, EXIT.failed, `follow it: kubectl nmstate get ${policy} --watch`);
        // The last run's own settings (engine options, approvals), read from its start event.
        const history = await handle.fetchHistory();
        const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
        const last = payload ? defaultPayloadConverter.fromPayload<PolicyRolloutInput>(payload) : undefined;
        const input: PolicyRolloutInput = {
          policy,
          revision: { generation: nncp.metadata.generation ?? g.generation, spec: nncp.spec, ...(nncp.metadata.uid ? { uid: nncp.metadata.uid } : {}) },
          ...(last?.options ? { options: last.options } : {}),
          ...(last?.approvedWave !== undefined ? { approvedWave: last.approvedWave } : {}),
        };
        return client.workflow.start('policyRollout', { workflowId: id, taskQueue: desc.taskQueue, args: [input] }).catch((err: unknown) => {
          throw new CliError(`cannot start the retry of ${policy}: ${firstLine(err)}`);
        });
      });
      ctx.io.out(
        `retrying ${policy} generation ${nncp.metadata.generation ?? g.generation} (run ${started.firstExecutionRunId}): ${again.length} node(s) to apply again${again.length ? ` (${again.join(', ')})` : ''}; nodes already configured are skipped\n` +
          `  follow it: kubectl nmstate get ${policy} --watch\n`,
      );
      done(EXIT.ok);
    });
}
