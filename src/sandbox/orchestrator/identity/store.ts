import type { Scope } from '../../../protocol/scopes.js';
import { type OrchestratorStorage, oneUnitPerCall } from '../storage/unit-of-work.js';

/**
 * The identity module's repository: users, web sessions, OAuth grants and tokens, device and
 * authorization codes, API tokens, terms acceptances and payment methods. The SQLite implementation is
 * storage/sqlite/identity.ts. Times are ms. A check-and-set that must be atomic is one conditional method
 * (`rotateRefreshToken`, `transitionDeviceCode`, `useAuthCode`, `revokeApiToken`: false when another
 * request got there first), or several calls inside one unit of work (`tx.identity`).
 */
export interface User {
  id: string;
  email: string;
}

export interface Grant {
  id: string;
  userId: string;
  clientId: string;
  scopes: Scope[];
  revoked: boolean;
}

export interface OAuthTokenRow {
  grant: Grant;
  kind: 'access' | 'refresh';
  expiresAt: number;
  rotatedAt: number | null;
}

export type DeviceStatus = 'pending' | 'approved' | 'denied' | 'consumed';

export interface DeviceCode {
  deviceCodeHash: string;
  userCode: string;
  clientId: string;
  scopes: Scope[];
  expiresAt: number;
  intervalSeconds: number;
  lastPolledAt: number | null;
  status: DeviceStatus;
  userId: string | null;
}

export interface AuthCode {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scopes: Scope[];
  userId: string;
  expiresAt: number;
  usedAt: number | null;
  grantId: string | null;
}

export interface ApiToken {
  id: string;
  userId: string;
  name: string;
  scopes: Scope[];
  createdAt: number;
  expiresAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface PaymentMethod {
  id: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
  /** A test card that the sandbox declines at capture (like Stripe's 4000 0000 0000 0002). */
  declines: boolean;
  createdAt: number;
}

export interface IdentityStore {
  createUser(user: User & { passwordHash: string }, now: number): Promise<void>;

  setPasswordHash(userId: string, passwordHash: string): Promise<void>;

  firstUser(): Promise<User | undefined>;

  findUserByEmail(email: string): Promise<(User & { passwordHash: string }) | undefined>;

  findUser(id: string): Promise<User | undefined>;

  /** A server key (e.g. the CSRF key), created with `create` on first use and kept across restarts. */
  key(name: string, create: () => string): Promise<string>;

  createSession(
    session: { id: string; tokenHash: string; userId: string; expiresAt: number },
    now: number,
  ): Promise<void>;

  findSession(
    tokenHash: string,
    now: number,
  ): Promise<{ id: string; user: User; expiresAt: number } | undefined>;

  deleteSession(tokenHash: string): Promise<void>;

  createGrant(
    grant: { id: string; userId: string; clientId: string; scopes: readonly Scope[] },
    now: number,
  ): Promise<void>;

  /** False when the grant was already revoked (by a concurrent revocation, say). */
  revokeGrant(grantId: string, now: number): Promise<boolean>;

  insertOAuthToken(
    token: { hash: string; grantId: string; kind: 'access' | 'refresh'; expiresAt: number },
    now: number,
  ): Promise<void>;

  findOAuthToken(hash: string): Promise<OAuthTokenRow | undefined>;

  /** Marks a refresh token used; false when it already was (a reuse, seen atomically). */
  rotateRefreshToken(hash: string, now: number): Promise<boolean>;

  insertDeviceCode(code: Omit<DeviceCode, 'lastPolledAt' | 'status' | 'userId'>, now: number): Promise<void>;

  findDeviceCode(deviceCodeHash: string): Promise<DeviceCode | undefined>;

  findDeviceCodeByUserCode(userCode: string): Promise<DeviceCode | undefined>;

  recordDevicePoll(deviceCodeHash: string, now: number, intervalSeconds: number): Promise<void>;

  /** Moves a device code from `from` to `to`; false when another request changed it first. */
  transitionDeviceCode(
    deviceCodeHash: string,
    from: DeviceStatus,
    to: DeviceStatus,
    userId?: string,
  ): Promise<boolean>;

  insertAuthCode(code: Omit<AuthCode, 'usedAt' | 'grantId'> & { hash: string }, now: number): Promise<void>;

  findAuthCode(hash: string): Promise<AuthCode | undefined>;

  /** Spends an authorization code; false when it was already spent (a replay). */
  useAuthCode(hash: string, grantId: string, now: number): Promise<boolean>;

  insertApiToken(token: Omit<ApiToken, 'lastUsedAt' | 'revokedAt'> & { hash: string }): Promise<void>;

  findApiTokenByHash(hash: string): Promise<ApiToken | undefined>;

  listApiTokens(userId: string): Promise<ApiToken[]>;

  touchApiToken(id: string, now: number): Promise<void>;

  /** Revokes one of the user's tokens; false when no such live token exists. */
  revokeApiToken(id: string, userId: string, now: number): Promise<boolean>;

  acceptTerms(userId: string, party: string, version: string, now: number): Promise<void>;

  termsAcceptedAt(userId: string, party: string, version: string): Promise<number | undefined>;

  insertPaymentMethod(userId: string, method: PaymentMethod): Promise<void>;

  /** The user's payment methods, newest (the default) first. */
  listPaymentMethods(userId: string): Promise<PaymentMethod[]>;
}

/** The identity repository for code outside a unit of work: each call is a unit of its own. */
export function identityStore(storage: OrchestratorStorage): IdentityStore {
  return oneUnitPerCall(storage, (tx) => tx.identity);
}
