import type { SandboxModule } from '../../context.js';
import { registerAuthHooks } from './auth.js';
import { registerMe } from './me.js';
import { registerSignIn } from './sign-in.js';
import { IDENTITY_MIGRATIONS, IdentityStore } from './store.js';
import { acceptForms } from './web-session.js';

/**
 * The orchestrator's identity: users, web sign-in, the OAuth authorization server, API tokens, terms
 * and billing. Its root hook authenticates every orchestrator request, so it must be mounted before the
 * other orchestrator modules.
 */
export function identityModule(): SandboxModule {
  return {
    name: 'orchestrator:identity',
    migrations: IDENTITY_MIGRATIONS,
    prefix: '',
    async registerRoot(app, ctx) {
      registerAuthHooks(app, ctx, new IdentityStore(ctx.db));
    },
    async register(app, ctx) {
      const store = new IdentityStore(ctx.db);
      acceptForms(app);
      registerSignIn(app, ctx, store);
      registerMe(app);
    },
  };
}
