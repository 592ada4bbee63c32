import { join } from 'node:path';
import { withEnvAssignments } from '../../../core/managed-files.js';
import { readIfExists } from '../../../files.js';
import type { CommandInput } from '../../command.js';
import { credentialLines } from '../../credential-names.js';
import { credentialStore } from '../../credentials.js';
import type { Factory } from '../../factory.js';
import { writeFileAtomic } from '../../local-state.js';
import type { CommandResult } from '../../output.js';

export interface EnvOptions {
  pull: boolean;
}

export interface EnvData {
  /** Env-var names held for the project. */
  names: string[];
  /** The values of those the provider marked public (ids, URLs); secret values are never shown. */
  public: Record<string, string>;
  store: string;
  /** The .env written by --pull. */
  file: string | null;
}

/**
 * `projects env`: the project's credentials by env-var name, with the values of the public ones (a site id,
 * an API URL). `--pull` sets them all in `.env` (mode 0600, gitignored by init; the user's own variables
 * in it are kept) for local development; secret values are never printed, in any mode.
 */
export async function runEnv(options: EnvOptions, factory: Factory): Promise<CommandResult<EnvData>> {
  const project = factory.requireProject();
  const store = await credentialStore(factory);
  const { values, shown } = await store.getResources(project.config.project_id);
  const names = Object.keys(values).sort();
  let file: string | null = null;
  if (options.pull) {
    file = join(project.dir, '.env');
    writeFileAtomic(
      file,
      withEnvAssignments(readIfExists(file), dotenvLines(values, names), DOTENV_HEADER),
      0o600,
    );
  }
  const data: EnvData = { names, public: shown, store: store.kind, file };
  return {
    data,
    human: () => credentialLines(names, shown).join('\n'),
    warnings: names.length ? [] : ['the project has no credentials yet'],
    next: file
      ? [{ command: 'git status --ignored .env', why: 'check that .env stays out of git' }]
      : names.length
        ? [{ command: 'projects env --pull', why: 'write them to .env (mode 0600)' }]
        : [{ command: 'projects catalog', why: 'find something to provision' }],
  };
}

const DOTENV_HEADER = '# Written by `projects env --pull`. Secrets: never commit, never print.';

/** KEY="value" lines, quoted so that any value survives a dotenv parser and a POSIX shell's `source`. */
function dotenvLines(secrets: Record<string, string>, names: string[]): Map<string, string> {
  const quote = (value: string) =>
    `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\$/g, '\\$')}"`;
  return new Map(names.map((name) => [name, `${name}=${quote(secrets[name] ?? '')}`]));
}

export function run(factory: Factory, { options }: CommandInput): Promise<CommandResult> {
  return runEnv({ pull: Boolean(options.pull) }, factory);
}
