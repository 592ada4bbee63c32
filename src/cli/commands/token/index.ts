import { parseDuration } from '../../../core/duration.js';
import { ProjectsError } from '../../../protocol/errors.js';
import type { ApiTokenInfo } from '../../../protocol/oauth.js';
import { isScope, type Scope, TOKEN_GRANTABLE_SCOPES } from '../../../protocol/scopes.js';
import { orchestratorApi } from '../../api.js';
import type { CommandModule } from '../../command.js';
import { orchestratorSession } from '../../credentials.js';
import type { Factory } from '../../factory.js';
import { throughApprovals } from '../../gates.js';
import type { CommandResult } from '../../output.js';
import { commandLine } from '../../shell.js';

export interface TokenCreateOptions {
  name?: string | undefined;
  /** Comma-separated scopes. */
  scope?: string | undefined;
  /** Lifetime such as `30d`. */
  expires: string;
  /** At a terminal: decide in the approval's web page instead of typing the name here. */
  web: boolean;
}

function parseScopes(text: string | undefined): Scope[] {
  const scopes = (text ?? '')
    .split(',')
    .map((scope) => scope.trim())
    .filter(Boolean);
  if (scopes.length === 0) {
    throw new ProjectsError(
      'INVALID_ARGUMENT',
      `--scope is required: any of ${TOKEN_GRANTABLE_SCOPES.join(', ')}`,
    );
  }
  for (const scope of scopes) {
    if (!isScope(scope) || !TOKEN_GRANTABLE_SCOPES.includes(scope)) {
      throw new ProjectsError('INVALID_ARGUMENT', `a token cannot carry the scope '${scope}'`, {
        details: { grantable: TOKEN_GRANTABLE_SCOPES },
      });
    }
  }
  return [...new Set(scopes)] as Scope[];
}

/**
 * `token create` is a human gate (DESIGN.md §3). The orchestrator answers APPROVAL_REQUIRED with an approval
 * describing exactly this token. A human at this terminal decides it right here by typing the token's name
 * (with `--web`: in the approval's page). Anyone else (an agent, CI, `--non-interactive`) gets the approval's
 * id and page and exits 4; once a human approved (`projects approve apr_…` or the page), the same command
 * creates the token. One approval creates one token: a second rerun asks for a new approval.
 */
export async function runTokenCreate(options: TokenCreateOptions, factory: Factory): Promise<CommandResult> {
  const name = options.name?.trim();
  if (!name) throw new ProjectsError('INVALID_ARGUMENT', '--name is required');
  const scopes = parseScopes(options.scope);
  const expires = options.expires;
  const expiresIn = parseDuration(expires);
  const rerun = {
    command: commandLine([
      'projects',
      'token',
      'create',
      '--name',
      name,
      '--scope',
      scopes.join(','),
      '--expires',
      expires,
    ]),
    why: 'once a human has approved, the same command creates the token and prints it once',
  };
  const session = orchestratorSession(factory);
  const created = await throughApprovals(
    factory,
    orchestratorApi(factory),
    rerun,
    'no token was created',
    () => session.call((token) => session.auth.createToken(token, { name, scopes, expires_in: expiresIn })),
    { web: options.web },
  );
  factory.redactor.register(created.token);
  factory.output.info(`Created ${created.id}. Its value is shown once, below; store it now.`);
  return { data: created, reveal: [created.token], human: () => created.token };
}

function describe(token: ApiTokenInfo): string {
  const state = token.revoked_at
    ? 'revoked'
    : Date.parse(token.expires_at) <= Date.now()
      ? 'expired'
      : 'active';
  return `${token.id}  ${token.name}  [${token.scopes.join(',')}]  ${state}, expires ${token.expires_at}`;
}

export async function runTokenList(factory: Factory): Promise<CommandResult> {
  const session = orchestratorSession(factory);
  const tokens = await session.call((token) => session.auth.listTokens(token));
  return {
    data: { tokens },
    human: () => (tokens.length ? tokens.map(describe).join('\n') : 'No tokens.'),
  };
}

export async function runTokenRevoke(id: string, factory: Factory): Promise<CommandResult> {
  const session = orchestratorSession(factory);
  await session.call((token) => session.auth.revokeToken(token, id));
  return { data: { id, revoked: true }, human: () => `Revoked ${id}` };
}

function stringOption(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** `projects token create|list|revoke`, one command module each. */
export const create: CommandModule = {
  run: (factory, input) =>
    runTokenCreate(
      {
        name: stringOption(input.options.name),
        scope: stringOption(input.options.scope),
        expires: stringOption(input.options.expires) ?? '30d',
        web: Boolean(input.options.web),
      },
      factory,
    ),
};

export const list: CommandModule = { run: (factory) => runTokenList(factory) };

export const revoke: CommandModule = {
  run: (factory, input) => runTokenRevoke(input.args[0] ?? '', factory),
};
