/**
 * The Temporal Web UI shows a policy's rollout: a real policyRollout workflow (the real workflow code
 * and cluster activities, against the suite's apiserver) for a policy that selects no node ends
 * Ignored; headless Chromium (Debian's, installed by hack/chromium.sh when missing) finds it in the
 * workflow list by the KnmstatePolicy search attribute and reads its phase from the workflow's search
 * attributes. Assertions are on the page's text; screenshots go to .artifacts/ui/ (git-ignored) for a
 * human to look at.
 *
 * The suite's shared Temporal runs headless, so this file starts a small dev server of its own with
 * the UI (same harness code, same search attributes).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createClusterActivities } from '../../activities/cluster/index.ts';
import { NNCP, type NncpSpec } from '../../crd/nncp.ts';
import { openCluster } from '../../hack/cluster/cluster.ts';
import { Run } from '../../hack/cluster/run.ts';
import { startTemporal, type TemporalInfo } from '../../hack/cluster/temporal.ts';
import { tools } from '../../hack/cluster/tools.ts';
import { rolloutWorkflowId } from '../../workflows/ids.ts';
import { policyRollout, type PolicyRolloutInput, type RolloutOutcome } from '../../workflows/policy-rollout.ts';
import { policyNameKey } from '../../workflows/search-attributes.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const artifacts = `${root}.artifacts/ui`;

/** Debian's Chromium, installed when missing; the install's own error fails the test. */
async function chromiumPath(): Promise<string> {
  const r = await execa(`${root}hack/chromium.sh`, [], { reject: false, timeout: 600_000 });
  if (r.exitCode !== 0) throw new Error(`hack/chromium.sh could not provide Chromium (exit ${r.exitCode}):\n${r.stderr}`);
  return r.stdout.trim();
}

describe('Temporal UI', () => {
  const run = Run.create();
  const queue = `knmstate.test.ui.${run.id}`;
  const policy = `ui-check-${run.id}`;
  const workflowId = rolloutWorkflowId(policy);
  let temporal: TemporalInfo;
  let connection: Connection | undefined;
  let nativeConnection: NativeConnection | undefined;
  let worker: Worker | undefined;
  let working: Promise<void> | undefined;
  let browser: Browser | undefined;
  let objects: CustomObjectsApi;
  let outcome: RolloutOutcome;

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    const executablePath = await chromiumPath();
    temporal = await startTemporal(run, tools().temporal, { ui: true });
    const kc = new KubeConfig();
    kc.loadFromFile(openCluster().info.kube.kubeconfig);
    objects = kc.makeApiClient(CustomObjectsApi);

    // A policy that selects no node: its rollout ends Ignored without any node agent.
    const spec: NncpSpec = { nodeSelector: { 'knmstate.io/ui-check': run.id }, desiredState: { interfaces: [{ name: 'br-ui', type: 'linux-bridge', state: 'up' }] } };
    const created = (await objects.createClusterCustomObject({
      group: NNCP.group,
      version: NNCP.version,
      plural: NNCP.plural,
      body: { apiVersion: NNCP.apiVersion, kind: NNCP.kind, metadata: { name: policy }, spec },
    })) as { metadata: { generation?: number; uid?: string } };

    nativeConnection = await NativeConnection.connect({ address: temporal.address });
    worker = await Worker.create({
      connection: nativeConnection,
      namespace: temporal.namespace,
      taskQueue: queue,
      workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
      activities: createClusterActivities({ kubeConfig: kc }),
    });
    working = worker.run();

    connection = await Connection.connect({ address: temporal.address });
    const client = new Client({ connection, namespace: temporal.namespace });
    const input: PolicyRolloutInput = { policy, revision: { generation: created.metadata.generation ?? 1, spec, ...(created.metadata.uid ? { uid: created.metadata.uid } : {}) } };
    const handle = await client.workflow.start(policyRollout, {
      taskQueue: queue,
      workflowId,
      args: [input],
      typedSearchAttributes: [{ key: policyNameKey, value: policy }],
      workflowExecutionTimeout: '2 minutes',
    });
    outcome = await handle.result();

    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await working;
    await nativeConnection?.close();
    await connection?.close();
    await objects?.deleteClusterCustomObject({ group: NNCP.group, version: NNCP.version, plural: NNCP.plural, name: policy }).catch(() => undefined);
    await run.teardown();
  }, 60_000);

  it('given a policy that selects no node, should end its rollout workflow Ignored', () => {
    expect(outcome.phase).toBe('Ignored');
  });

  it("given the workflow list filtered by KnmstatePolicy, should show the policy's workflow, its search attributes its phase, and the list filtered by phase too", async () => {
    const page: Page = await browser!.newPage({ viewport: { width: 1400, height: 900 } });
    try {
      const query = `KnmstatePolicy="${policy}"`;
      await page.goto(`${temporal.uiUrl}/namespaces/${temporal.namespace}/workflows?query=${encodeURIComponent(query)}`);
      // The list loads asynchronously: wait for the row, not for time.
      const row = page.getByRole('row').filter({ hasText: workflowId });
      await row.first().waitFor({ timeout: 30_000 });
      const list = await page.innerText('body');
      await page.screenshot({ path: `${artifacts}/workflow-list.png`, fullPage: true });
      expect(list).toContain(query.replace('=', ' = '));
      expect(await row.count()).toBe(1);
      const rowText = await row.first().innerText();
      expect(rowText).toContain(workflowId);
      expect(rowText).toContain('policyRollout');
      expect(rowText).toMatch(/COMPLETED/i);

      await page.getByRole('link', { name: workflowId }).first().click();
      await page.getByRole('tab', { name: 'Search Attributes' }).or(page.getByRole('link', { name: 'Search Attributes' })).first().click();
      await page.getByText('"KnmstatePhase"').first().waitFor({ timeout: 30_000 });
      const details = await page.innerText('body');
      await page.screenshot({ path: `${artifacts}/workflow-search-attributes.png`, fullPage: true });
      expect(details).toContain(workflowId);
      expect(details).toContain(`"KnmstatePolicy": "${policy}"`);
      expect(details).toContain('"KnmstatePhase": "Ignored"');

      // The list filtered by policy and phase (how one finds, say, every Halted rollout) still has it.
      const byPhase = `KnmstatePolicy="${policy}" AND KnmstatePhase="Ignored"`;
      await page.goto(`${temporal.uiUrl}/namespaces/${temporal.namespace}/workflows?query=${encodeURIComponent(byPhase)}`);
      await page.getByRole('row').filter({ hasText: workflowId }).first().waitFor({ timeout: 30_000 });
      expect(await page.innerText('body')).toContain('KnmstatePhase = "Ignored"');
      await page.screenshot({ path: `${artifacts}/workflow-list-by-phase.png`, fullPage: true });
    } finally {
      await page.close();
    }
  }, 120_000);
});
