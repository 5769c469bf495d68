/**
 * `npm run gen:crds`: writes the CRDs (crd/*.yaml, deploy/crds/), the admission policy and binding
 * (deploy/admission/) and their kustomizations, all generated from the zod schemas in crd/.
 * `--check` writes nothing and exits 1 when a committed file is stale or missing.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from '../crd/generate.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const stale: string[] = [];
for (const [rel, content] of Object.entries(generatedFiles())) {
  const path = join(root, rel);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (current === content) continue;
  stale.push(rel);
  if (!check) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
}
if (check && stale.length) {
  console.error(`stale generated files (run npm run gen:crds): ${stale.join(', ')}`);
  process.exit(1);
}
console.log(stale.length ? `${check ? 'stale' : 'wrote'}: ${stale.join(', ')}` : 'generated files are up to date');
