#!/usr/bin/env node
/**
 * The `kubectl nmstate` executable (also `knmstate`): Node 24 runs this TypeScript file directly.
 * On PATH as `kubectl-nmstate` (see the sh wrapper next to it), kubectl runs it as `kubectl nmstate`.
 */
import { main } from './main.ts';
import { processIo } from './io.ts';

process.exitCode = await main(process.argv.slice(2), processIo());
