/**
 * `npm run gen:api-docs`: writes docs/api-reference.md from the zod schemas in crd/ (through the
 * generated CRDs). `--check` writes nothing and exits 1 when the committed page is stale.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiReference } from './api-reference.ts';

/** Repository-relative path of the generated page. */
const API_REFERENCE_PATH = 'docs/api-reference.md';

const path = join(dirname(fileURLToPath(import.meta.url)), '..', API_REFERENCE_PATH);
const content = apiReference();
const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
if (current === content) {
  console.log(`${API_REFERENCE_PATH} is up to date`);
} else if (process.argv.includes('--check')) {
  console.error(`${API_REFERENCE_PATH} is stale (run npm run gen:api-docs)`);
  process.exit(1);
} else {
  writeFileSync(path, content);
  console.log(`wrote ${API_REFERENCE_PATH}`);
}
