/**
 * `why <policy> [node]`: a failed node explained in a few lines, from the rollout's progress, the
 * node's enactment and the failure details in the Temporal history (which probe failed and what it
 * tried, the error type, each attempt, what the rollback restored). Without a node: the first
 * failed (or rolled back) node of the rollout.
 */
import { Command } from 'commander';
import { enactmentName } from '../../crd/nnce.ts';
import { outputArg, type CommandContext } from '../context.ts';
import { notFoundError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { loadRollout } from '../load-rollout.ts';
import { formatOutput, type OutputFormat } from '../render/output.ts';
import { renderWhy, type WhyInput } from '../render/why.ts';
import { firstLine } from '../session.ts';
import { readNodeHistories } from './history.ts';

const TROUBLED = ['Failed', 'RolledBack', 'Retrying', 'Aborted'];

/** The `why` command. */
export function whyCommand(ctx: CommandContext, done: (code: number) => void): Command {
  return new Command('why')
    .description('explain a failed node: error, failed probe, attempts, what the rollback restored')
    .argument('<policy>', 'policy (NNCP) name')
    .argument('[node]', 'node name; default: the first failed node')
    .option('-o, --output <format>', 'json or yaml', outputArg)
    .action(async (policy: string, nodeName: string | undefined, flags: { output?: OutputFormat }) => {
      const session = ctx.session();
      const view = await loadRollout(session, policy);
      const g = view.progress;
      const node = nodeName ? g.nodes.find((n) => n.name === nodeName) : (g.nodes.find((n) => n.phase === 'Failed') ?? g.nodes.find((n) => TROUBLED.includes(n.phase)));
      if (nodeName && !node) throw notFoundError(`node ${nodeName} is not part of the rollout of ${policy} (nodes: ${g.nodes.map((n) => n.name).join(', ') || 'none'})`);
      if (!node) {
        ctx.io.out(`no failed node in the rollout of ${policy} (phase ${g.phase}, ${g.counts.succeeded}/${g.counts.matched} succeeded)\n`);
        return done(EXIT.ok);
      }
      const input: WhyInput = { policy, generation: g.generation, node };
      try {
        const { histories } = await readNodeHistories(session, policy, node.name);
        if (histories[0]) input.history = histories[0];
      } catch (err) {
        input.historyNote = `not read: ${firstLine(err)}`;
      }
      try {
        const nnce = (await session.listEnactments(policy)).find((e) => e.metadata.name === enactmentName(node.name, policy));
        const c = nnce?.status?.conditions?.find((x) => x.status === 'True');
        if (c) input.enactment = { type: c.type, ...(c.reason ? { reason: c.reason } : {}), ...(c.message ? { message: c.message } : {}) };
      } catch {
        // the enactment is a nice-to-have; the history and progress carry the facts
      }
      ctx.io.out(flags.output ? formatOutput(input, flags.output) : renderWhy(input, { color: ctx.color() }));
      done(EXIT.ok);
    });
}
