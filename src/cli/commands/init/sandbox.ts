import { join } from 'node:path';
import { ProjectsError } from '../../../protocol/errors.js';
import type { Factory } from '../../factory.js';
import { readJsonFile } from '../../local-state.js';

/**
 * The URL of the local sandbox orchestrator. Starting it from `init` needs the sandbox lifecycle library,
 * which this build does not include yet; until then a started sandbox is used, or the human is told how
 * to start it.
 */
export async function ensureSandbox(factory: Factory): Promise<string> {
  const state = readJsonFile<{ url?: string }>(join(factory.paths.sandboxDir, 'state.json'));
  if (state?.url) return state.url;
  throw new ProjectsError('NOT_IMPLEMENTED', 'starting the sandbox from init is not built yet', {
    next: [{ command: 'projects sandbox start', why: 'start the local sandbox, then run init again' }],
  });
}
