import { z } from 'zod';
import { SCOPES, type Scope, TOKEN_GRANTABLE_SCOPES } from './scopes.js';
import type { SecretPrefix } from './secret-shape.js';

/**
 * Wire schemas of the orchestrator's OAuth 2.0 authorization server and its token API, shared by the
 * orchestrator (which answers them) and the CLI (which parses them). Standard fields keep their RFC names.
 */

/** The public client id of the `projects` CLI (a native app: no secret, PKCE instead). */
export const CLI_CLIENT_ID = 'projects-cli';

export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * The prefixes (src/protocol/secrets.ts) of the secrets the orchestrator hands out, so that scanners and
 * the CLI's redaction recognise them: access and refresh tokens of a login, scoped API tokens, device codes.
 */
export const TOKEN_PREFIXES = {
  accessToken: 'pat',
  refreshToken: 'prt',
  apiToken: 'ptok',
  deviceCode: 'dvc',
  authorizationCode: 'pcode',
} as const satisfies Record<string, SecretPrefix>;

const scope = z.enum(SCOPES);
/**
 * Every scope but `approve` (TOKEN_GRANTABLE_SCOPES): satisfying a gate is never delegated to a token.
 * Typed as `Scope` so that callers holding a `Scope[]` can send it; the values allowed are the grantable ones.
 */
const grantableScope = z.enum(TOKEN_GRANTABLE_SCOPES as [Scope, ...Scope[]]);

/** RFC 8414 authorization server metadata (the fields this server publishes). */
export const AuthorizationServerMetadata = z.object({
  issuer: z.string(),
  authorization_endpoint: z.string(),
  token_endpoint: z.string(),
  device_authorization_endpoint: z.string(),
  revocation_endpoint: z.string(),
  response_types_supported: z.array(z.string()),
  grant_types_supported: z.array(z.string()),
  code_challenge_methods_supported: z.array(z.string()),
  token_endpoint_auth_methods_supported: z.array(z.string()),
  revocation_endpoint_auth_methods_supported: z.array(z.string()),
  scopes_supported: z.array(z.string()),
});
export type AuthorizationServerMetadata = z.infer<typeof AuthorizationServerMetadata>;

/** RFC 8628 §3.2 device authorization response. */
export const DeviceAuthorizationResponse = z.object({
  device_code: z.string(),
  user_code: z.string(),
  verification_uri: z.string(),
  verification_uri_complete: z.string(),
  expires_in: z.number().int().positive(),
  interval: z.number().int().positive(),
});
export type DeviceAuthorizationResponse = z.infer<typeof DeviceAuthorizationResponse>;

/** RFC 6749 §5.1 token response (scope is space-separated). */
export const TokenResponse = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int().positive(),
  refresh_token: z.string(),
  scope: z.string(),
});
export type TokenResponse = z.infer<typeof TokenResponse>;

/** RFC 6749 §5.2 / RFC 8628 §3.5 error codes of the token endpoint. */
export const OAuthErrorCode = z.enum([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'authorization_pending',
  'slow_down',
  'access_denied',
  'expired_token',
]);
export type OAuthErrorCode = z.infer<typeof OAuthErrorCode>;

export const OAuthErrorResponse = z.object({
  error: OAuthErrorCode,
  error_description: z.string().optional(),
});
export type OAuthErrorResponse = z.infer<typeof OAuthErrorResponse>;

/** Longest lifetime of a scoped API token: one year. */
export const MAX_API_TOKEN_SECONDS = 365 * 24 * 3600;

/** `POST /v1/tokens` — `approve` is never grantable to a token. */
export const CreateApiTokenRequest = z.object({
  name: z.string().trim().min(1).max(100),
  scopes: z.array(grantableScope).min(1),
  expires_in: z.number().int().positive().max(MAX_API_TOKEN_SECONDS),
});
export type CreateApiTokenRequest = z.infer<typeof CreateApiTokenRequest>;

/** A token as listed: never its value. Times are ISO 8601. */
export const ApiTokenInfo = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(scope),
  created_at: z.string(),
  expires_at: z.string(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
});
export type ApiTokenInfo = z.infer<typeof ApiTokenInfo>;

/** The answer to `POST /v1/tokens`: the only time the value (`token`) is ever shown. */
export const CreatedApiToken = ApiTokenInfo.extend({ token: z.string() });
export type CreatedApiToken = z.infer<typeof CreatedApiToken>;

export const ApiTokenList = z.object({ tokens: z.array(ApiTokenInfo) });
export type ApiTokenList = z.infer<typeof ApiTokenList>;

export const RevokedApiToken = z.object({ id: z.string(), revoked: z.literal(true) });
export type RevokedApiToken = z.infer<typeof RevokedApiToken>;

/** `GET /v1/me`: who the presented credential belongs to and what it may do. */
export const MeResponse = z.object({
  user: z.object({ id: z.string(), email: z.string() }),
  kind: z.enum(['human', 'token']),
  scopes: z.array(scope),
  credential: z.object({
    type: z.enum(['oauth', 'api_token', 'session']),
    id: z.string(),
    expires_at: z.string().nullable(),
  }),
});
export type MeResponse = z.infer<typeof MeResponse>;

/** Published as JSON Schema in docs/schema/ (see src/protocol/json-schema.ts and docs/identity.md). */
export const IDENTITY_SCHEMAS = {
  AuthorizationServerMetadata,
  DeviceAuthorizationResponse,
  TokenResponse,
  OAuthErrorResponse,
  CreateApiTokenRequest,
  ApiTokenInfo,
  CreatedApiToken,
  ApiTokenList,
  RevokedApiToken,
  MeResponse,
} as const;
