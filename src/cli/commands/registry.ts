import type { CommandSpec, OptionSpec } from '../command.js';

/** The global flags of DESIGN.md §5, accepted before or after the command words. */
export const GLOBAL_OPTIONS: OptionSpec[] = [
  { flags: '--json', description: 'print exactly one JSON envelope on stdout' },
  {
    flags: '-y, --yes',
    description: 'accept defaults for confirmations that policy allows (never satisfies a human gate)',
  },
  { flags: '--non-interactive', description: 'never prompt; fail with the next commands to run instead' },
  {
    flags: '--orchestrator <url>',
    description: 'orchestrator URL (default: project, then PROJECTS_ORCHESTRATOR_URL, then sandbox)',
  },
  { flags: '--project <dir>', description: 'project directory (default: nearest projects.json)' },
  {
    flags: '--token <token>',
    description: 'credential to use (default: PROJECTS_TOKEN, then the stored login)',
  },
  { flags: '--debug', description: 'log requests and timings on stderr (secrets redacted)' },
  { flags: '--no-color', description: 'disable colour (NO_COLOR is honoured too)' },
];

/**
 * Every command of the CLI contract (DESIGN.md §5) with its flags, help and examples. Implementations are
 * loaded lazily through `load`; a spec without `load` is not built yet and answers NOT_IMPLEMENTED.
 */
export const COMMANDS: CommandSpec[] = [
  {
    name: 'init',
    load: () => import('./init/index.js'),
    summary: 'Create a project here and link it to an orchestrator',
    args: ['[name]'],
    options: [
      {
        flags: '--template <template>',
        description: 'scaffold a template into an empty directory',
        choices: ['static', 'worker'],
      },
      { flags: '--sandbox', description: 'use the local sandbox orchestrator, starting it if needed' },
    ],
    examples: [
      'projects init my-app --template worker --sandbox',
      'projects init --orchestrator https://orchestrator.example',
    ],
  },
  {
    name: 'catalog',
    load: () => import('./catalog/index.js'),
    summary: 'Browse the services providers offer',
    args: ['[filter]'],
    options: [
      { flags: '--provider <provider>', description: 'only this provider' },
      {
        flags: '--category <category>',
        description: 'only this category (e.g. domains, dns, hosting, database)',
      },
    ],
    examples: [
      'projects catalog',
      'projects catalog domain --provider edge',
      'projects catalog show edge/registrar:domain --json',
    ],
    subcommands: [
      {
        name: 'show',
        load: () => import('./catalog/show.js'),
        summary: 'Show one service with its pricing and configuration schema',
        args: ['<service>'],
        examples: ['projects catalog show edge/hosting:site'],
      },
    ],
  },
  {
    name: 'provision',
    load: () => import('./provision/index.js'),
    aliases: ['add'],
    summary: 'Quote, authorize, pay for and create a resource at a provider',
    args: ['<service>'],
    needsProject: true,
    options: [
      { flags: '--name <name>', description: 'the exact name asked for (e.g. the domain to buy)' },
      {
        flags: '--config <key=value...>',
        description: 'service configuration, validated against its schema',
      },
      { flags: '--max-price <usd>', description: 'refuse if the quote is above this price (USD)' },
    ],
    examples: [
      'projects provision edge/registrar:domain --name superseal.club --max-price 20',
      'projects add data/kv:starter --name cache --json',
    ],
  },
  {
    name: 'approve',
    load: () => import('./approve/index.js'),
    summary: 'List, inspect, approve or deny pending approvals (a human gate)',
    args: ['[id]'],
    options: [
      { flags: '--deny', description: 'deny instead of approving' },
      { flags: '--reason <reason>', description: 'why (recorded in the audit log)' },
      { flags: '--web', description: 'open the approval in the browser' },
    ],
    examples: [
      'projects approve',
      'projects approve apr_123',
      'projects approve apr_123 --deny --reason "wrong domain"',
    ],
  },
  {
    name: 'deploy',
    summary: 'Deploy a directory: a preview by default, production with --prod',
    args: ['[dir]'],
    needsProject: true,
    options: [
      { flags: '--prod', description: 'publish to production (a gate unless pre-authorized)' },
      { flags: '--site <name>', description: 'the hosting:site resource to deploy to' },
      { flags: '--domain <domain>', description: 'attach a custom domain the project owns' },
      { flags: '--message <message>', description: 'a note stored with the deployment' },
    ],
    examples: [
      'projects deploy',
      'projects deploy ./public --prod',
      'projects deploy list --json',
      'projects deploy rollback',
    ],
    load: () => import('./deploy/index.js'),
    subcommands: [
      {
        name: 'list',
        summary: 'List deployments',
        needsProject: true,
        examples: ['projects deploy list'],
        load: async () => (await import('./deploy/index.js')).list,
      },
      {
        name: 'promote',
        summary: 'Make a preview deployment the production one',
        args: ['<id>'],
        needsProject: true,
        examples: ['projects deploy promote dpl_123'],
        load: async () => (await import('./deploy/index.js')).promote,
      },
      {
        name: 'rollback',
        summary: 'Point production back at an earlier deployment, instantly',
        args: ['[id]'],
        needsProject: true,
        examples: ['projects deploy rollback', 'projects deploy rollback dpl_123'],
        load: async () => (await import('./deploy/index.js')).rollback,
      },
    ],
  },
  {
    name: 'domains',
    summary: 'Manage the custom domains of the project',
    subcommands: [
      {
        name: 'attach',
        summary: 'Attach a domain the project owns to its site (DNS records and a certificate)',
        args: ['<domain>'],
        needsProject: true,
        options: [{ flags: '--site <name>', description: 'the hosting:site resource' }],
        examples: ['projects domains attach superseal.club'],
        load: async () => (await import('./domains/index.js')).attach,
      },
    ],
  },
  {
    name: 'status',
    load: () => import('./status/index.js'),
    summary: 'Show the project: resources, credentials by name, approvals, spend',
    needsProject: true,
    examples: ['projects status', 'projects status --json'],
  },
  {
    name: 'env',
    load: () => import('./env/index.js'),
    summary: "List the project's credentials by env-var name (public ones with values); --pull writes .env",
    needsProject: true,
    options: [{ flags: '--pull', description: 'write .env (mode 0600); secret values are never printed' }],
    examples: ['projects env', 'projects env --pull'],
  },
  {
    name: 'login',
    summary: 'Sign in to an orchestrator (OAuth device flow)',
    options: [
      { flags: '--no-browser', description: 'do not open a browser; print the URL and code' },
      { flags: '--check <ref>', description: 'finish a login started non-interactively' },
      {
        flags: '--web',
        description: "sign in in this machine's browser (authorization code + PKCE, loopback redirect)",
      },
    ],
    examples: [
      'projects login',
      'projects login --orchestrator http://127.0.0.1:4780',
      'projects login --json  # agents: returns at once',
    ],
    load: () => import('./login/index.js'),
  },
  {
    name: 'logout',
    summary: 'Revoke the login at the orchestrator and delete local credentials',
    examples: ['projects logout'],
    load: () => import('./logout/index.js'),
  },
  {
    name: 'whoami',
    summary: 'Show the signed-in user, orchestrator, scopes and credential source',
    examples: ['projects whoami', 'projects whoami --json'],
    load: () => import('./whoami/index.js'),
  },
  {
    name: 'budget',
    summary: 'Show spend against limits and the auto-approve rule; lower them (raising is a gate)',
    load: () => import('./budget/index.js'),
    options: [
      { flags: '--provider <provider>', description: 'the provider whose monthly cap to set' },
      {
        flags: '--monthly-cap <usd>',
        description: 'set the monthly cap (per provider with --provider, else global)',
      },
      { flags: '--run-ceiling <usd>', description: 'set the default per-run ceiling' },
      {
        flags: '--auto-approve-below <usd>',
        description:
          'let refundable purchases up to this price go through without an approval (0 turns it off; ' +
          'non-refundable ones and look-alike names always ask; raising it is a human gate)',
      },
    ],
    examples: [
      'projects budget',
      'projects budget --provider edge --monthly-cap 50',
      'projects budget --auto-approve-below 5',
    ],
  },
  {
    name: 'run',
    summary: 'Start or end a run: a budgeted session of billable work',
    subcommands: [
      {
        name: 'start',
        summary: 'Start a run with a budget; prints its id for PROJECTS_RUN_ID',
        load: () => import('./run/start.js'),
        options: [
          { flags: '--budget <usd>', description: 'the most this run may spend' },
          { flags: '--ttl <duration>', description: 'how long the run lasts (e.g. 2h)', default: '2h' },
        ],
        examples: ['export PROJECTS_RUN_ID=$(projects run start --budget 25)'],
      },
      {
        name: 'end',
        summary: 'End a run',
        args: ['[id]'],
        examples: ['projects run end', 'projects run end run_123'],
        load: () => import('./run/end.js'),
      },
    ],
  },
  {
    name: 'audit',
    summary: 'Show the hash-chained audit log; --verify checks it',
    load: () => import('./audit/index.js'),
    options: [
      { flags: '--since <time>', description: 'only events after this time (ISO 8601 or e.g. 24h)' },
      { flags: '--run <id>', description: 'only events of this run' },
      { flags: '--verify', description: 'verify the hash chain; exits 1 naming the first bad event' },
    ],
    examples: ['projects audit --since 24h', 'projects audit --verify'],
  },
  {
    name: 'freeze',
    summary: 'Stop all spending at once: revoke payment tokens, refuse new ones',
    load: () => import('./freeze/index.js'),
    options: [{ flags: '--reason <reason>', description: 'why (recorded in the audit log)' }],
    examples: ['projects freeze --reason "agent loop"'],
  },
  {
    name: 'unfreeze',
    summary: 'Allow spending again (a human gate)',
    load: () => import('./unfreeze/index.js'),
    examples: ['projects unfreeze'],
  },
  {
    name: 'token',
    summary: 'Create, list and revoke scoped tokens for CI and agents',
    subcommands: [
      {
        name: 'create',
        summary: 'Create a scoped token; a human approves it (here, or in the web page); printed once',
        options: [
          { flags: '--name <name>', description: 'a label for the token' },
          {
            flags: '--scope <scopes>',
            description:
              'comma-separated: read, provision:free, provision:paid, deploy:preview, deploy:production',
          },
          { flags: '--expires <duration>', description: 'lifetime, e.g. 30d', default: '30d' },
          {
            flags: '--web',
            description: 'at a terminal: approve in the web page instead of typing the name',
          },
        ],
        examples: [
          'projects token create --name ci --scope read,deploy:preview --expires 30d',
          'projects token create --name agent --scope read,provision:free --json  # no human here: exit 4, apr_… to approve',
          'projects approve apr_123  # the human approves (or in the web page), then the same create prints the token',
        ],
        load: async () => (await import('./token/index.js')).create,
      },
      {
        name: 'list',
        summary: 'List tokens (never their values)',
        examples: ['projects token list --json'],
        load: async () => (await import('./token/index.js')).list,
      },
      {
        name: 'revoke',
        summary: 'Revoke a token',
        args: ['<id>'],
        examples: ['projects token revoke tok_123'],
        load: async () => (await import('./token/index.js')).revoke,
      },
    ],
  },
  {
    name: 'sandbox',
    summary: 'Run the local reference orchestrator and providers',
    subcommands: [
      {
        name: 'start',
        summary: 'Start the sandbox (idempotent); prints the orchestrator URL',
        options: [
          { flags: '--port <port>', description: 'orchestrator port', default: '4780' },
          { flags: '--foreground', description: 'run in this process until interrupted' },
          { flags: '--user-email <email>', description: 'email of the sandbox user created on first start' },
          { flags: '--user-password <password>', description: 'password of that user', secret: true },
        ],
        examples: ['projects sandbox start', 'projects sandbox start --port 0 --foreground'],
        load: async () => (await import('./sandbox/index.js')).start,
      },
      {
        name: 'stop',
        summary: 'Stop the sandbox (state is kept)',
        examples: ['projects sandbox stop'],
        load: async () => (await import('./sandbox/index.js')).stop,
      },
      {
        name: 'status',
        summary: 'Show the URLs and health of the sandbox',
        examples: ['projects sandbox status --json'],
        load: async () => (await import('./sandbox/index.js')).status,
      },
      {
        name: 'reset',
        summary: 'Stop the sandbox and delete its state',
        examples: ['projects sandbox reset --yes'],
        load: async () => (await import('./sandbox/index.js')).reset,
      },
    ],
  },
];
