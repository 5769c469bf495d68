/**
 * `retry <policy>`: what to do about the failed nodes of a stopped rollout. The engine runs one
 * rollout per policy generation and has no message to re-run failed nodes of a generation that
 * ended, so this command does not change anything: it names the failed nodes and the ways to start
 * a new rollout (a new generation), and exits 1.
 */
import { Command } from 'commander';
import type { CommandContext } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { loadRollout } from '../load-rollout.ts';

/** The `retry` command. */
export function retryCommand(ctx: CommandContext, done: (code: number) => void): Command {
  return new Command('retry')
    .description('explain how to retry the failed nodes of a stopped rollout (no in-place retry yet)')
    .argument('<policy>', 'policy (NNCP) name')
    .action(async (policy: string) => {
      const view = await loadRollout(ctx.session(), policy);
      const g = view.progress;
      const failed = g.nodes.filter((n) => n.phase === 'Failed' || n.phase === 'Aborted' || n.phase === 'RolledBack').map((n) => n.name);
      if (!view.ended) {
        ctx.io.out(
          `the rollout of ${policy} is still ${g.phase}: failed nodes are retried ${g.onFailure === 'halt' ? 'by the engine up to its attempt limit' : 'within the attempt limit'}; nothing to do yet.\n` +
            `  to stop it: kubectl nmstate abort ${policy} [--rollback]\n`,
        );
        return done(EXIT.failed);
      }
      ctx.io.out(
        [
          `knmstate cannot retry the nodes of a finished rollout in place: a rollout runs once per policy generation,`,
          `and the rollout of ${policy} generation ${g.generation} ended ${g.phase}.`,
          failed.length ? `  nodes not configured: ${failed.join(', ')}` : '  every node is configured; nothing to retry.',
          `To retry, start a new rollout (a new generation) once the cause is fixed (kubectl nmstate why ${policy}):`,
          `  kubectl edit nncp ${policy}    # fix the desiredState; any spec change is a new generation`,
          `  kubectl apply -f policy.yaml${' '.repeat(Math.max(1, policy.length - 6))}# the same, from the manifest`,
          `Annotations (kubectl annotate) do not change the generation, so they do not start a rollout.`,
          '',
        ].join('\n'),
      );
      done(EXIT.failed);
    });
}
