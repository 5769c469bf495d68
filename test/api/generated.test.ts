/**
 * The committed CRDs and admission manifests are what the zod schemas generate, and every example
 * passes the TypeScript twin of the API's validation and validateDesiredState.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedFiles } from '../../crd/generate.ts';
import { nodeNetworkConfigurationPolicy, validateDesiredState } from '../../crd/index.ts';
import { examples, ROOT } from './support.ts';

describe('generated API manifests', () => {
  const files = generatedFiles();
  it.each(Object.keys(files))('given the zod schemas, should match the committed %s (else run npm run gen:crds)', (rel) => {
    const path = join(ROOT, rel);
    expect(existsSync(path)).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(files[rel]);
  });
});

describe('examples', () => {
  const all = examples();
  const topics = ['ethernet', 'dhcp', 'static-ip', 'route', 'dns', 'linux-bridge', 'vlan', 'bond', 'bond-vlan', 'ovs-bridge', 'ovs-bridge-iface', 'worker-selector', 'staged-rollout'];

  it('given the upstream topics, should have one example file per topic plus a failing one', () => {
    const files = new Set(all.map((e) => e.file));
    for (const t of topics) expect(files).toContain(`${t}.yaml`);
    expect(all.some((e) => JSON.stringify(e.manifest).includes('eth666'))).toBe(true);
  });

  it.each(all.map((e) => [`${e.file} ${(e.manifest.metadata as { name: string }).name}`, e.manifest] as const))(
    'given example %s, should parse with the zod schema and have a structurally valid desiredState',
    (_name, manifest) => {
      const parsed = nodeNetworkConfigurationPolicy.safeParse(manifest);
      expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
      expect(validateDesiredState((manifest.spec as { desiredState?: unknown }).desiredState)).toEqual([]);
    },
  );
});
