import type { SandboxModule } from '../../context.js';
import { IDENTITY_MIGRATIONS } from '../storage/sqlite/migrations.js';
import { registerApiTokens } from './api-tokens.js';
import { registerAuthHooks, SERVER_KEYS } from './auth.js';
import { registerBilling } from './billing.js';
import { registerMe } from './me.js';
import { registerOAuthPages } from './oauth-pages.js';
import { registerOAuthServer } from './oauth-server.js';
import { registerSignIn } from './sign-in.js';
import { identityStore } from './store.js';
import { type ProviderTermsLookup, registerTerms } from './terms.js';
import { acceptForms } from './web-session.js';

/**
 * The orchestrator's identity: users, web sign-in, the OAuth authorization server, API tokens, terms
 * and billing. Its root hook authenticates every orchestrator request, so it must be mounted before the
 * other orchestrator modules.
 */
export interface IdentityOptions {
  /** Seconds between device-code polls (RFC 8628 `interval`); 1 by default, the sandbox being local. */
  deviceIntervalSeconds?: number;
  /** Where `/terms/<providerId>` finds a provider's name and current terms version: the provider registry. */
  providerTerms?: ProviderTermsLookup;
}

export function identityModule(options: IdentityOptions = {}): SandboxModule {
  return {
    name: 'orchestrator:identity',
    migrations: IDENTITY_MIGRATIONS,
    sealedColumns: [SERVER_KEYS],
    prefix: '',
    async registerRoot(app, ctx) {
      await registerAuthHooks(app, ctx, identityStore(ctx.storage));
    },
    async register(app, ctx) {
      const store = identityStore(ctx.storage);
      acceptForms(app);
      registerSignIn(app, ctx, store);
      registerMe(app);
      registerOAuthServer(app, ctx, store, { deviceIntervalSeconds: options.deviceIntervalSeconds ?? 1 });
      registerOAuthPages(app, ctx, store);
      registerApiTokens(app, ctx, store);
      registerTerms(app, ctx, store, options.providerTerms ?? (async () => undefined));
      registerBilling(app, ctx, store);
    },
  };
}
