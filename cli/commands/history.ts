/**
 * `history <policy> [node]`: per node, every apply attempt and revert of the rollout with times,
 * durations, outcomes, probe results and what was put back, read from the workflow's Temporal
 * history (all runs, across continue-as-new).
 */
import { Command } from 'commander';
import { WorkflowNotFoundError } from '@temporalio/common';
import { rolloutWorkflowId } from '../../workflows/ids.ts';
import { outputArg, type CommandContext } from '../context.ts';
import { CliError, notFoundError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { fetchActivityRecords } from '../history/fetch.ts';
import { nodeHistories, type NodeHistory } from '../history/node-history.ts';
import { renderHistory } from '../render/history.ts';
import { formatOutput, type OutputFormat } from '../render/output.ts';
import { firstLine, type Session } from '../session.ts';

/** How long reading the history may take. */
export const HISTORY_TIMEOUT_MS = 20_000;

/** The node histories of a policy's rollout; a {@link CliError} when there is no workflow. */
export async function readNodeHistories(session: Session, policy: string, node?: string): Promise<{ histories: NodeHistory[]; runs: number }> {
  const id = rolloutWorkflowId(policy);
  try {
    const { records, runs } = await session.withDeadline(HISTORY_TIMEOUT_MS, (client) => fetchActivityRecords(client, id));
    return { histories: nodeHistories(records, node), runs };
  } catch (err) {
    if (err instanceof CliError) throw err;
    if (err instanceof WorkflowNotFoundError) throw notFoundError(`no rollout workflow ${id} in Temporal namespace ${session.config.temporal.namespace} (its history may have passed the namespace's retention)`);
    throw new CliError(`cannot read the history of ${id}: ${firstLine(err)}`);
  }
}

/** The `history` command. */
export function historyCommand(ctx: CommandContext, done: (code: number) => void): Command {
  return new Command('history')
    .description('per node: attempts, durations, probe results and rollbacks, from the Temporal history')
    .argument('<policy>', 'policy (NNCP) name')
    .argument('[node]', 'only this node')
    .option('-o, --output <format>', 'json or yaml', outputArg)
    .action(async (policy: string, node: string | undefined, flags: { output?: OutputFormat }) => {
      const { histories, runs } = await readNodeHistories(ctx.session(), policy, node);
      if (node && !histories.length) throw notFoundError(`node ${node} has no activity in the rollout of ${policy}`);
      ctx.io.out(flags.output ? formatOutput({ policy, runs, nodes: histories }, flags.output) : renderHistory(policy, histories, { color: ctx.color(), runs }));
      done(EXIT.ok);
    });
}
