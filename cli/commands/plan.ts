/**
 * `plan -f policy.yaml`: the dry run. Checks the manifest (problems by field path, exit 1, nothing
 * runs), then runs the `planPolicy` workflow on the controller's task queue (it resolves the nodes,
 * orders them, cuts the waves and asks each node's agent for its diff) and prints the plan. Nothing is
 * created, changed or applied.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { planPolicy, PolicyPlan } from '../../workflows/plan-policy.ts';
import { formatDuration } from '../../crd/quantities.ts';
import { durationArg, outputArg, type CommandContext } from '../context.ts';
import { resolveTaskQueue, TASK_QUEUE_ENV } from '../config.ts';
import { CliError, usageError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { readManifest } from '../manifest.ts';
import { formatOutput, type OutputFormat } from '../render/output.ts';
import { planHasErrors, renderPlan, renderProblems } from '../render/plan.ts';
import { firstLine, type Session } from '../session.ts';

/** Default `--timeout` of a plan. */
export const PLAN_TIMEOUT_MS = 120_000;

interface PlanFlags {
  filename: string;
  taskQueue?: string;
  timeout?: number;
  output?: OutputFormat;
  diff?: boolean;
}

/** Fails fast (exit 3) when no worker polls the queue: the workflow would wait for one forever. */
async function requirePollers(session: Session, taskQueue: string): Promise<void> {
  const client = await session.temporal();
  const r = await session.withDeadline(5_000, () =>
    client.workflowService.describeTaskQueue({ namespace: session.config.temporal.namespace, taskQueue: { name: taskQueue }, taskQueueType: 1 /* WORKFLOW */ }),
  );
  if (!r.pollers?.length) {
    throw usageError(`no worker polls the task queue ${taskQueue} in Temporal namespace ${session.config.temporal.namespace}: is the knmstate controller running?`, `set --task-queue or ${TASK_QUEUE_ENV} to the controller's queue`);
  }
}

/** The `plan` command. */
export function planCommand(ctx: CommandContext, done: (code: number) => void): Command {
  return new Command('plan')
    .description('dry run: validate a policy manifest, show its nodes in rollout order, waves, limits and each node\'s diff; changes nothing')
    .requiredOption('-f, --filename <file>', 'NNCP manifest (YAML; several documents are planned in turn)')
    .option('--task-queue <queue>', `the controller's task queue (env ${TASK_QUEUE_ENV}; default knmstate.cluster)`)
    .option('--timeout <duration>', 'give up after this long (exit 2)', durationArg)
    .option('--no-diff', 'do not ask the node agents for their diffs')
    .option('-o, --output <format>', 'json or yaml', outputArg)
    .action(async (flags: PlanFlags) => {
      let text: string;
      try {
        text = readFileSync(flags.filename, 'utf8');
      } catch (err) {
        throw usageError(`cannot read ${flags.filename}: ${firstLine(err)}`);
      }
      const policies = readManifest(text);
      if (!policies.length) throw usageError(`${flags.filename} holds no NodeNetworkConfigurationPolicy`);
      const bad = policies.filter((x) => x.problems.length);
      if (bad.length) {
        if (flags.output) ctx.io.out(formatOutput({ file: flags.filename, policies: bad.map((b) => ({ name: b.name, problems: b.problems })) }, flags.output));
        else for (const b of bad) ctx.io.err(renderProblems(`${flags.filename} (${b.name})`, b.problems, { color: ctx.color() }));
        return done(EXIT.failed);
      }
      const session = ctx.session();
      const taskQueue = resolveTaskQueue(flags.taskQueue, ctx.io.env);
      await requirePollers(session, taskQueue);
      const client = await session.temporal();
      const { WorkflowFailedError } = await import('@temporalio/client');
      const timeout = flags.timeout ?? PLAN_TIMEOUT_MS;
      const plans: PolicyPlan[] = [];
      for (const x of policies) {
        try {
          plans.push(
            await client.workflow.execute<typeof planPolicy>('planPolicy', {
              taskQueue,
              workflowId: `nncp-plan/${x.name}/${ctx.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`,
              args: [{ policy: x.name, spec: x.spec!, nodeDiffs: flags.diff !== false }],
              workflowExecutionTimeout: timeout,
            }),
          );
        } catch (err) {
          if (err instanceof WorkflowFailedError && /timed? ?out/i.test(`${err.cause?.name} ${err.cause?.message}`)) {
            throw new CliError(`the plan of ${x.name} did not finish within ${formatDuration(timeout)}`, EXIT.timeout, 'raise --timeout, or check the controller and the node agents');
          }
          throw new CliError(`the plan of ${x.name} failed: ${err instanceof WorkflowFailedError ? (err.cause?.message ?? err.message) : firstLine(err)}`);
        }
      }
      if (flags.output) ctx.io.out(formatOutput(plans.length === 1 ? plans[0] : plans, flags.output));
      else ctx.io.out(plans.map((pl) => renderPlan(pl, { color: ctx.color() })).join('\n'));
      done(plans.some(planHasErrors) ? EXIT.failed : EXIT.ok);
    });
}
