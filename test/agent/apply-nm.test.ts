/** The apply scenarios (./apply-scenarios.ts) in NetworkManager mode: checkpoints, commit, rollback. */
import { applyScenarios } from './apply-scenarios.ts';

applyScenarios('agent-apply-nm', 'networkmanager');
