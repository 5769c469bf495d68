/**
 * The layer rules of eslint.config.js (README, "Dependencies point one way") fail on a wrong import:
 * each case lints a small text as if it were a file of that folder, with the project's own config.
 */
import { describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = fileURLToPath(new URL('../..', import.meta.url));
// Only the import rule runs, without type information: fast, and independent of the other rules.
const eslint = new ESLint({
  cwd: root,
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
  overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
});

async function importErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport const used = [];\n`, { filePath });
  const messages = result?.messages ?? [];
  const fatal = messages.filter((m) => m.fatal);
  if (fatal.length) throw new Error(`${filePath}: ${fatal.map((m) => m.message).join('; ')}`);
  return messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer rules', () => {
  it.each([
    ['crd/probe-layer.ts', "import { readFileSync } from 'node:fs';", /crd\/ is the API leaf: no Node builtins/],
    ['crd/probe-layer.ts', "import { KubeClient } from '../activities/kube/client.ts';", /crd\/ may not import this folder/],
    ['crd/probe-layer.ts', "import type { NodeAgents } from '../workers/node-agent-host.ts';", /crd\/ may not import this folder/],
    ['workflows/probe-layer.ts', "import { NodeAgent } from '../activities/node/agent.ts';", /workflows\/ may import this folder as types only/],
    ['workflows/probe-layer.ts', "import { startNodeAgents } from '../workers/node-agent-host.ts';", /workflows\/ may not import this folder/],
    ['workflows/probe-layer.ts', "import { readFileSync } from 'node:fs';", /deterministic: no Node builtins/],
    ['workflows/probe-layer.ts', "import { Client } from '@temporalio/client';", /may not do I\/O/],
    ['activities/node/probe-layer.ts', "import { startNodeAgents } from '../../workers/node-agent-host.ts';", /activities\/ may not import this folder/],
    ['activities/node/probe-layer.ts', "import { run } from '../../cli/main.ts';", /activities\/ may not import this folder/],
    ['activities/node/probe-layer.ts', "import { nodeTaskQueue } from '../../workflows/task-queues.ts';", /activities\/ may import this folder as types only/],
    ['workers/probe-layer.ts', "import { useCluster } from '../test/support/cluster.ts';", /workers\/ may not import this folder/],
    ['workers/runtime/probe-layer.ts', "import { startCluster } from '../../hack/cluster/cluster.ts';", /workers\/ may not import this folder/],
    ['cli/probe-layer.ts', "import { fixture } from '../bench/agent.ts';", /cli\/ may not import this folder/],
    ['bench/probe-layer.ts', "import { useCluster } from '../test/support/cluster.ts';", /bench\/ may not import this folder/],
    ['activities/kube/probe-layer.ts', "import { note } from '../../../elsewhere/notes.ts';", /names nothing outside it/],
  ])('given %s with %s, should report it', async (filePath, code, message) => {
    const errors = await importErrors(filePath, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
  });

  it.each([
    ['crd/probe-layer.ts', "import { z } from 'zod';\nimport { nncpSpec } from './nncp.ts';"],
    ['workflows/probe-layer.ts', "import type { NodeActivities } from '../activities/node/index.ts';\nimport { nodeTaskQueue } from './task-queues.ts';\nimport { nncpSpec } from '../crd/nncp.ts';"],
    ['activities/node/probe-layer.ts', "import type { NodeActivities } from '../../workflows/probe.ts';\nimport { KubeClient } from '../kube/client.ts';\nimport { nncpSpec } from '../../crd/nncp.ts';"],
    ['workers/probe-layer.ts', "import { KubeClient } from '../activities/kube/client.ts';\nimport { nodeTaskQueue } from '../workflows/task-queues.ts';"],
    ['test/probe-layer.ts', "import { startCluster } from '../hack/cluster/cluster.ts';\nimport { KubeClient } from '../activities/kube/client.ts';"],
  ])('given %s with imports along the arrows, should report nothing', async (filePath, code) => {
    expect(await importErrors(filePath, code)).toEqual([]);
  });
});
