import type { CredentialStore } from '../credentials/store.js';
import type { LoginRecord } from '../credentials/types.js';
import { ProjectsError } from '../protocol/errors.js';
import type { TokenResponse } from '../protocol/oauth.js';
import { loginRequired, type OrchestratorAuthClient } from './auth.js';

/** Where the credential of a command came from, as `whoami` reports it. */
export type CredentialSource = 'flag' | 'PROJECTS_TOKEN' | 'keychain' | 'file';

export interface ActiveCredential {
  token: string;
  source: CredentialSource;
  /** The stored login, when the credential is one. */
  login?: LoginRecord;
}

export interface SessionOptions {
  orchestrator: string;
  /** `--token` */
  flagToken?: string | undefined;
  /** `PROJECTS_TOKEN` */
  envToken?: string | undefined;
  openStore: () => Promise<CredentialStore>;
  auth: OrchestratorAuthClient;
  now?: () => number;
}

/** Refresh this long before the access token expires, so that it cannot expire mid-command. */
const REFRESH_MARGIN_MS = 60_000;

/** The login record for a token response (device grant or refresh). */
export function loginFromTokens(
  orchestrator: string,
  tokens: TokenResponse,
  now: number,
  user?: LoginRecord['user'],
): LoginRecord {
  return {
    orchestrator,
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    expiresAt: now + tokens.expires_in * 1000,
    scopes: tokens.scope.split(' ').filter(Boolean),
    ...(user ? { user } : {}),
    savedAt: now,
  };
}

/**
 * The credential a command presents to one orchestrator: `--token` > `PROJECTS_TOKEN` > the stored login
 * for that orchestrator. A stored login's access token is refreshed transparently (the refresh token
 * rotates, and the new pair is saved); an expired or revoked login is AUTH_REQUIRED.
 */
export class OrchestratorSession {
  private active: Promise<ActiveCredential> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: SessionOptions) {
    this.now = options.now ?? Date.now;
  }

  get orchestrator(): string {
    return this.options.orchestrator;
  }

  get auth(): OrchestratorAuthClient {
    return this.options.auth;
  }

  credential(): Promise<ActiveCredential> {
    this.active ??= this.resolve();
    return this.active;
  }

  /**
   * Runs an authorized call. When the stored access token is refused (revoked early, clock skew), the
   * login is refreshed once and the call retried; a flag or environment token is never retried.
   */
  async call<T>(action: (token: string) => Promise<T>): Promise<T> {
    const credential = await this.credential();
    try {
      return await action(credential.token);
    } catch (error) {
      if (!(error instanceof ProjectsError) || error.code !== 'AUTH_REQUIRED' || !credential.login)
        throw error;
      this.active = this.refresh(credential.login, credential.source);
      return action((await this.active).token);
    }
  }

  private async resolve(): Promise<ActiveCredential> {
    if (this.options.flagToken) return { token: this.options.flagToken, source: 'flag' };
    if (this.options.envToken) return { token: this.options.envToken, source: 'PROJECTS_TOKEN' };
    const store = await this.options.openStore();
    const login = await store.getLogin(this.orchestrator);
    if (!login) throw loginRequired(this.orchestrator, `you are not signed in to ${this.orchestrator}`);
    if (this.isFresh(login)) return { token: login.accessToken, source: store.kind, login };
    return this.refresh(login, store.kind);
  }

  /**
   * Refreshes under the store's lock. Whoever waited for the lock first re-reads the store: when another
   * command rotated the refresh token meanwhile, its fresh pair is used instead of spending ours twice.
   */
  private async refresh(login: LoginRecord, source: CredentialSource): Promise<ActiveCredential> {
    const store = await this.options.openStore();
    return store.exclusive(async () => {
      const latest = (await store.getLogin(this.orchestrator)) ?? login;
      if (latest.refreshToken !== login.refreshToken && this.isFresh(latest)) {
        return { token: latest.accessToken, source, login: latest };
      }
      if (!latest.refreshToken) {
        throw loginRequired(this.orchestrator, `your login at ${this.orchestrator} has expired`);
      }
      const tokens = await this.options.auth.refresh(latest.refreshToken);
      const renewed = loginFromTokens(this.orchestrator, tokens, this.now(), latest.user);
      await store.saveLogin(renewed);
      return { token: renewed.accessToken, source, login: renewed };
    });
  }

  private isFresh(login: LoginRecord): boolean {
    return login.expiresAt === undefined || login.expiresAt - this.now() > REFRESH_MARGIN_MS;
  }
}
