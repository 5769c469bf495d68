/** The apply scenarios (./apply-scenarios.ts) in kernel mode: nmstatectl -k, no NetworkManager. */
import { applyScenarios } from './apply-scenarios.ts';

applyScenarios('agent-apply', 'kernel');
