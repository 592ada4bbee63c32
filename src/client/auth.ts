import { ProjectsError } from '../protocol/errors.js';
import type {
  ApiTokenInfo,
  AuthorizationServerMetadata,
  CreateApiTokenRequest,
  CreatedApiToken,
  DeviceAuthorizationResponse,
  MeResponse,
  TokenResponse,
} from '../protocol/oauth.js';
import type { HttpClient, Parser } from './http.js';

/** What one poll of the token endpoint for a device code came to. */
export type DevicePoll =
  | { status: 'authorized'; tokens: TokenResponse }
  | { status: 'pending' }
  | { status: 'slow_down' }
  | { status: 'denied' }
  | { status: 'expired' };

/** The zod schemas are loaded on first use only: importing zod costs a CLI ~50 ms of startup. */
async function schemas(): Promise<typeof import('../protocol/oauth.js')> {
  return import('../protocol/oauth.js');
}

/**
 * `GET /v1/me` is on `whoami`'s startup budget, where importing zod does not fit: a structural check of
 * the fields the CLI reads stands in for the shared schema there.
 */
const meParser: Parser<MeResponse> = {
  parse(input) {
    const me = input as MeResponse | null;
    const valid =
      typeof me?.user?.id === 'string' &&
      typeof me.user.email === 'string' &&
      (me.kind === 'human' || me.kind === 'token') &&
      Array.isArray(me.scopes) &&
      me.scopes.every((scope) => typeof scope === 'string') &&
      typeof me.credential?.id === 'string';
    if (!valid) throw new Error('not an answer of GET /v1/me');
    return me;
  },
};

function oauthError(error: unknown): string | undefined {
  if (!(error instanceof ProjectsError)) return undefined;
  const value = error.details?.oauth_error;
  return typeof value === 'string' ? value : undefined;
}

export function loginRequired(orchestrator: string, message: string): ProjectsError {
  return new ProjectsError('AUTH_REQUIRED', message, {
    details: { orchestrator },
    next: [{ command: `projects login --orchestrator ${orchestrator}`, why: 'sign in to this orchestrator' }],
  });
}

/**
 * The CLI's side of the orchestrator's OAuth 2.0 authorization server (RFC 8414 discovery, RFC 8628
 * device grant, RFC 6749 refresh with rotation, RFC 7009 revocation) and of its token API. `http` is an
 * unauthenticated client for the orchestrator; calls that need a bearer take the access token.
 */
export class OrchestratorAuthClient {
  private metadataCache: Promise<AuthorizationServerMetadata> | undefined;

  constructor(
    private readonly http: HttpClient,
    private readonly withToken: (token: string) => HttpClient,
  ) {}

  get orchestrator(): string {
    return this.http.baseUrl;
  }

  metadata(): Promise<AuthorizationServerMetadata> {
    this.metadataCache ??= schemas().then(({ AuthorizationServerMetadata }) =>
      this.http.get('/.well-known/oauth-authorization-server', { schema: AuthorizationServerMetadata }),
    );
    return this.metadataCache;
  }

  async startDeviceAuthorization(): Promise<DeviceAuthorizationResponse> {
    const [{ CLI_CLIENT_ID, DeviceAuthorizationResponse }, metadata] = await Promise.all([
      schemas(),
      this.metadata(),
    ]);
    return this.http.post(metadata.device_authorization_endpoint, undefined, {
      form: { client_id: CLI_CLIENT_ID },
      schema: DeviceAuthorizationResponse,
    });
  }

  /** The URL of the authorization endpoint for a loopback-redirect login with PKCE (RFC 8252, RFC 7636). */
  async authorizationUrl(request: {
    redirectUri: string;
    state: string;
    challenge: string;
  }): Promise<string> {
    const [{ CLI_CLIENT_ID }, metadata] = await Promise.all([schemas(), this.metadata()]);
    const url = new URL(metadata.authorization_endpoint);
    url.search = new URLSearchParams({
      client_id: CLI_CLIENT_ID,
      response_type: 'code',
      redirect_uri: request.redirectUri,
      code_challenge: request.challenge,
      code_challenge_method: 'S256',
      state: request.state,
    }).toString();
    return url.toString();
  }

  /** Trades the authorization code from the loopback redirect, proving possession of the PKCE verifier. */
  exchangeCode(code: string, redirectUri: string, verifier: string): Promise<TokenResponse> {
    return this.tokenRequest({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    });
  }

  /** One poll (RFC 8628 §3.4); the caller owns the pacing and the deadline. */
  async pollDeviceToken(deviceCode: string): Promise<DevicePoll> {
    const { DEVICE_CODE_GRANT_TYPE } = await schemas();
    try {
      const tokens = await this.tokenRequest({ grant_type: DEVICE_CODE_GRANT_TYPE, device_code: deviceCode });
      return { status: 'authorized', tokens };
    } catch (error) {
      switch (oauthError(error)) {
        case 'authorization_pending':
          return { status: 'pending' };
        case 'slow_down':
          return { status: 'slow_down' };
        case 'access_denied':
          return { status: 'denied' };
        case 'expired_token':
        case 'invalid_grant':
          return { status: 'expired' };
        default:
          throw error;
      }
    }
  }

  /** Trades a refresh token for new tokens; the old refresh token is spent (rotation). */
  async refresh(refreshToken: string): Promise<TokenResponse> {
    try {
      return await this.tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken });
    } catch (error) {
      if (oauthError(error) !== 'invalid_grant') throw error;
      throw loginRequired(this.orchestrator, `your login at ${this.orchestrator} has expired or was revoked`);
    }
  }

  async revoke(token: string, hint: 'access_token' | 'refresh_token'): Promise<void> {
    const [{ CLI_CLIENT_ID }, metadata] = await Promise.all([schemas(), this.metadata()]);
    await this.http.post(metadata.revocation_endpoint, undefined, {
      form: { token, token_type_hint: hint, client_id: CLI_CLIENT_ID },
    });
  }

  me(token: string): Promise<MeResponse> {
    return this.withToken(token).get('/v1/me', { schema: meParser });
  }

  async createToken(token: string, request: CreateApiTokenRequest): Promise<CreatedApiToken> {
    const { CreatedApiToken } = await schemas();
    return this.withToken(token).post('/v1/tokens', request, { schema: CreatedApiToken });
  }

  async listTokens(token: string): Promise<ApiTokenInfo[]> {
    const { ApiTokenList } = await schemas();
    return (await this.withToken(token).get('/v1/tokens', { schema: ApiTokenList })).tokens;
  }

  async revokeToken(token: string, id: string): Promise<void> {
    const { RevokedApiToken } = await schemas();
    await this.withToken(token).delete(`/v1/tokens/${encodeURIComponent(id)}`, { schema: RevokedApiToken });
  }

  private async tokenRequest(form: Record<string, string>): Promise<TokenResponse> {
    const [{ CLI_CLIENT_ID, TokenResponse }, metadata] = await Promise.all([schemas(), this.metadata()]);
    return this.http.post(metadata.token_endpoint, undefined, {
      form: { ...form, client_id: CLI_CLIENT_ID },
      schema: TokenResponse,
    });
  }
}
