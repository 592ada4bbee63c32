import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInit } from '../../src/cli/commands/init/index.js';
import { runProvision } from '../../src/cli/commands/provision/index.js';
import { testFactory } from '../helpers/factory.js';
import { rejection } from '../helpers/rejection.js';
import { type RunsSandbox, startRunsSandbox } from '../runs/harness.js';

/** S1 in the CLI: a hostile domain name is refused as a usage error before anything is quoted. */
let sandbox: RunsSandbox;
beforeAll(async () => {
  sandbox = await startRunsSandbox();
});
afterAll(() => sandbox?.close());

function factoryIn(cwd: string) {
  return testFactory({
    cwd,
    env: {
      PROJECTS_HOME: join(cwd, '.home'),
      PROJECTS_TOKEN: sandbox.human,
      PROJECTS_ORCHESTRATOR_URL: sandbox.url,
      PROJECTS_CREDENTIAL_STORE: 'file',
    },
  }).factory;
}

describe('projects provision --name for a domain', () => {
  it.each([
    ['a soft hyphen', 'super\u00adseal.club'],
    ['a control character', 'superseal.club\u0007'],
    ['a path', 'superseal.club/x'],
    ['an empty label', 'superseal..club'],
    ['an over-long label', `${'a'.repeat(64)}.club`],
  ])('refuses %s with INVALID_ARGUMENT (exit 2) and quotes nothing', async (_what, name) => {
    const dir = mkdtempSync(join(tmpdir(), 'projects-intent-'));
    const init = await runInit({ sandbox: false }, factoryIn(dir));
    const error = await rejection(
      runProvision({ service: 'edge/registrar:domain', name, config: [] }, factoryIn(dir)),
    );
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', exitCode: 2 });
    const quotes = sandbox.db
      .prepare('SELECT COUNT(*) AS n FROM runs_quotes WHERE project_id = ?')
      .get(init.data.project.id) as { n: number };
    expect(quotes.n).toBe(0);
  });
});
