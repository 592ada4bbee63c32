import { parseDuration } from '../../../core/duration.js';
import { ProjectsError } from '../../../protocol/errors.js';
import type { ApiTokenInfo } from '../../../protocol/oauth.js';
import { isScope, type Scope, TOKEN_GRANTABLE_SCOPES } from '../../../protocol/scopes.js';
import type { CommandInput } from '../../command.js';
import { orchestratorSession } from '../../credentials.js';
import type { Factory } from '../../factory.js';
import type { CommandResult } from '../../output.js';

interface CreateOptions {
  name?: string;
  scope?: string;
  expires?: string;
}

function parseScopes(text: string | undefined): Scope[] {
  const scopes = (text ?? '')
    .split(',')
    .map((scope) => scope.trim())
    .filter(Boolean);
  if (scopes.length === 0) {
    throw new ProjectsError('INVALID_ARGUMENT', `--scope is required: any of ${TOKEN_GRANTABLE_SCOPES.join(', ')}`);
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
 * `token create` is a human gate (DESIGN.md §3): only a human at a terminal who types the token's name
 * can create one. No flag, variable or file stands in for that, so an agent cannot mint itself tokens.
 */
async function create(factory: Factory, options: CreateOptions): Promise<CommandResult> {
  const name = options.name?.trim();
  if (!name) throw new ProjectsError('INVALID_ARGUMENT', '--name is required');
  const scopes = parseScopes(options.scope);
  const expires = options.expires ?? '30d';
  const expiresIn = parseDuration(expires);
  const prompter = await factory.prompter([
    {
      command: `projects token create --name ${name} --scope ${scopes.join(',')} --expires ${expires}`,
      why: 'run it at an interactive terminal: creating a token needs a human to confirm',
    },
  ]);
  factory.output.info(`A token named '${name}' with scopes ${scopes.join(', ')}, valid for ${expires}.`);
  if (!(await prompter.typeToConfirm(`Type the token's name (${name}) to create it:`, name))) {
    throw new ProjectsError('APPROVAL_DENIED', 'the token was not created: the confirmation did not match');
  }
  const session = orchestratorSession(factory);
  const created = await session.call((token) =>
    session.auth.createToken(token, { name, scopes, expires_in: expiresIn }),
  );
  factory.redactor.register(created.token);
  factory.output.info(`Created ${created.id}. Its value is shown once, below; store it now.`);
  return { data: created, reveal: [created.token], human: () => created.token };
}

function describe(token: ApiTokenInfo): string {
  const state = token.revoked_at ? 'revoked' : Date.parse(token.expires_at) <= Date.now() ? 'expired' : 'active';
  return `${token.id}  ${token.name}  [${token.scopes.join(',')}]  ${state}, expires ${token.expires_at}`;
}

async function list(factory: Factory): Promise<CommandResult> {
  const session = orchestratorSession(factory);
  const tokens = await session.call((token) => session.auth.listTokens(token));
  return {
    data: { tokens },
    human: () => (tokens.length ? tokens.map(describe).join('\n') : 'No tokens.'),
  };
}

async function revoke(factory: Factory, id: string | undefined): Promise<CommandResult> {
  if (!id) throw new ProjectsError('INVALID_ARGUMENT', 'which token? `projects token revoke <id>`');
  const session = orchestratorSession(factory);
  await session.call((token) => session.auth.revokeToken(token, id));
  return { data: { id, revoked: true }, human: () => `Revoked ${id}` };
}

/** `projects token create|list|revoke`. */
export async function run(factory: Factory, input: CommandInput): Promise<CommandResult> {
  const [subcommand, ...args] = input.args;
  if (subcommand === 'create') return create(factory, input.options as CreateOptions);
  if (subcommand === 'list') return list(factory);
  if (subcommand === 'revoke') return revoke(factory, args[0]);
  throw new ProjectsError('INVALID_ARGUMENT', 'use `projects token create|list|revoke`');
}
