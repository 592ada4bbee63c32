import { isScope, type Scope } from '../../../../protocol/scopes.js';
import type { Db } from '../../../db.js';
import type {
  ApiToken,
  AuthCode,
  DeviceCode,
  DeviceStatus,
  Grant,
  IdentityStore,
  OAuthTokenRow,
  PaymentMethod,
  User,
} from '../../identity/store.js';

/** SQLite implementation of the identity repository (tables in migrations.ts, `identity_*`). */

function parseScopes(stored: string): Scope[] {
  return stored.split(' ').filter(isScope);
}

function joinScopes(scopes: readonly Scope[]): string {
  return scopes.join(' ');
}

interface GrantRow {
  id: string;
  user_id: string;
  client_id: string;
  scopes: string;
  revoked_at: number | null;
}

function toGrant(row: GrantRow): Grant {
  return {
    id: row.id,
    userId: row.user_id,
    clientId: row.client_id,
    scopes: parseScopes(row.scopes),
    revoked: row.revoked_at !== null,
  };
}

interface ApiTokenRow {
  id: string;
  user_id: string;
  name: string;
  scopes: string;
  created_at: number;
  expires_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

function toApiToken(row: ApiTokenRow): ApiToken {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    scopes: parseScopes(row.scopes),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

export class SqliteIdentityStore implements IdentityStore {
  constructor(private readonly db: Db) {}

  // Users

  async createUser(user: User & { passwordHash: string }, now: number): Promise<void> {
    this.db
      .prepare('INSERT INTO identity_users (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)')
      .run(user.id, user.email, user.passwordHash, now);
  }

  async setPasswordHash(userId: string, passwordHash: string): Promise<void> {
    this.db.prepare('UPDATE identity_users SET password_hash = ? WHERE id = ?').run(passwordHash, userId);
  }

  async firstUser(): Promise<User | undefined> {
    return this.db.prepare('SELECT id, email FROM identity_users ORDER BY created_at, rowid LIMIT 1').get() as
      | User
      | undefined;
  }

  async findUserByEmail(email: string): Promise<(User & { passwordHash: string }) | undefined> {
    return this.db
      .prepare('SELECT id, email, password_hash AS passwordHash FROM identity_users WHERE email = ?')
      .get(email) as (User & { passwordHash: string }) | undefined;
  }

  async findUser(id: string): Promise<User | undefined> {
    return this.db.prepare('SELECT id, email FROM identity_users WHERE id = ?').get(id) as User | undefined;
  }

  // Server keys (e.g. the CSRF key), created on first use and kept across restarts.

  async key(name: string, create: () => string): Promise<string> {
    this.db.prepare('INSERT OR IGNORE INTO identity_keys (name, value) VALUES (?, ?)').run(name, create());
    return (this.db.prepare('SELECT value FROM identity_keys WHERE name = ?').get(name) as { value: string })
      .value;
  }

  // Web sessions

  async createSession(
    session: { id: string; tokenHash: string; userId: string; expiresAt: number },
    now: number,
  ): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO identity_sessions (token_hash, id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(session.tokenHash, session.id, session.userId, now, session.expiresAt);
  }

  async findSession(
    tokenHash: string,
    now: number,
  ): Promise<{ id: string; user: User; expiresAt: number } | undefined> {
    const row = this.db
      .prepare(
        `SELECT s.id, s.expires_at AS expiresAt, u.id AS userId, u.email
         FROM identity_sessions s JOIN identity_users u ON u.id = s.user_id
         WHERE s.token_hash = ? AND s.expires_at > ?`,
      )
      .get(tokenHash, now) as { id: string; expiresAt: number; userId: string; email: string } | undefined;
    return row && { id: row.id, expiresAt: row.expiresAt, user: { id: row.userId, email: row.email } };
  }

  async deleteSession(tokenHash: string): Promise<void> {
    this.db.prepare('DELETE FROM identity_sessions WHERE token_hash = ?').run(tokenHash);
  }

  // OAuth grants (one per login; a refresh-token family) and their tokens

  async createGrant(
    grant: { id: string; userId: string; clientId: string; scopes: readonly Scope[] },
    now: number,
  ): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO identity_grants (id, user_id, client_id, scopes, created_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(grant.id, grant.userId, grant.clientId, joinScopes(grant.scopes), now);
  }

  async revokeGrant(grantId: string, now: number): Promise<boolean> {
    return (
      this.db
        .prepare('UPDATE identity_grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
        .run(now, grantId).changes === 1
    );
  }

  async insertOAuthToken(
    token: { hash: string; grantId: string; kind: 'access' | 'refresh'; expiresAt: number },
    now: number,
  ): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO identity_oauth_tokens (token_hash, grant_id, kind, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(token.hash, token.grantId, token.kind, now, token.expiresAt);
  }

  async findOAuthToken(hash: string): Promise<OAuthTokenRow | undefined> {
    const row = this.db
      .prepare(
        `SELECT t.kind, t.expires_at, t.rotated_at, g.id, g.user_id, g.client_id, g.scopes, g.revoked_at
         FROM identity_oauth_tokens t JOIN identity_grants g ON g.id = t.grant_id WHERE t.token_hash = ?`,
      )
      .get(hash) as
      | (GrantRow & { kind: 'access' | 'refresh'; expires_at: number; rotated_at: number | null })
      | undefined;
    return (
      row && { grant: toGrant(row), kind: row.kind, expiresAt: row.expires_at, rotatedAt: row.rotated_at }
    );
  }

  async rotateRefreshToken(hash: string, now: number): Promise<boolean> {
    return (
      this.db
        .prepare(
          "UPDATE identity_oauth_tokens SET rotated_at = ? WHERE token_hash = ? AND kind = 'refresh' AND rotated_at IS NULL",
        )
        .run(now, hash).changes === 1
    );
  }

  // Device authorization (RFC 8628)

  async insertDeviceCode(
    code: Omit<DeviceCode, 'lastPolledAt' | 'status' | 'userId'>,
    now: number,
  ): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO identity_device_codes
         (device_code_hash, user_code, client_id, scopes, created_at, expires_at, interval_seconds, status)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')`,
      )
      .run(
        code.deviceCodeHash,
        code.userCode,
        code.clientId,
        joinScopes(code.scopes),
        now,
        code.expiresAt,
        code.intervalSeconds,
      );
  }

  private async deviceCodeWhere(where: string, value: string): Promise<DeviceCode | undefined> {
    const row = this.db
      .prepare(
        `SELECT device_code_hash AS deviceCodeHash, user_code AS userCode, client_id AS clientId, scopes,
           expires_at AS expiresAt, interval_seconds AS intervalSeconds, last_polled_at AS lastPolledAt,
           status, user_id AS userId
         FROM identity_device_codes WHERE ${where} = ?`,
      )
      .get(value) as (Omit<DeviceCode, 'scopes'> & { scopes: string }) | undefined;
    return row && { ...row, scopes: parseScopes(row.scopes) };
  }

  async findDeviceCode(deviceCodeHash: string): Promise<DeviceCode | undefined> {
    return this.deviceCodeWhere('device_code_hash', deviceCodeHash);
  }

  async findDeviceCodeByUserCode(userCode: string): Promise<DeviceCode | undefined> {
    return this.deviceCodeWhere('user_code', userCode);
  }

  async recordDevicePoll(deviceCodeHash: string, now: number, intervalSeconds: number): Promise<void> {
    this.db
      .prepare(
        'UPDATE identity_device_codes SET last_polled_at = ?, interval_seconds = ? WHERE device_code_hash = ?',
      )
      .run(now, intervalSeconds, deviceCodeHash);
  }

  async transitionDeviceCode(
    deviceCodeHash: string,
    from: DeviceStatus,
    to: DeviceStatus,
    userId?: string,
  ): Promise<boolean> {
    return (
      this.db
        .prepare(
          'UPDATE identity_device_codes SET status = ?, user_id = coalesce(?, user_id) WHERE device_code_hash = ? AND status = ?',
        )
        .run(to, userId ?? null, deviceCodeHash, from).changes === 1
    );
  }

  // Authorization codes (RFC 6749 §4.1 + PKCE)

  async insertAuthCode(
    code: Omit<AuthCode, 'usedAt' | 'grantId'> & { hash: string },
    now: number,
  ): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO identity_auth_codes
         (code_hash, client_id, redirect_uri, code_challenge, scopes, user_id, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        code.hash,
        code.clientId,
        code.redirectUri,
        code.codeChallenge,
        joinScopes(code.scopes),
        code.userId,
        now,
        code.expiresAt,
      );
  }

  async findAuthCode(hash: string): Promise<AuthCode | undefined> {
    const row = this.db
      .prepare(
        `SELECT client_id AS clientId, redirect_uri AS redirectUri, code_challenge AS codeChallenge, scopes,
           user_id AS userId, expires_at AS expiresAt, used_at AS usedAt, grant_id AS grantId
         FROM identity_auth_codes WHERE code_hash = ?`,
      )
      .get(hash) as (Omit<AuthCode, 'scopes'> & { scopes: string }) | undefined;
    return row && { ...row, scopes: parseScopes(row.scopes) };
  }

  async useAuthCode(hash: string, grantId: string, now: number): Promise<boolean> {
    return (
      this.db
        .prepare(
          'UPDATE identity_auth_codes SET used_at = ?, grant_id = ? WHERE code_hash = ? AND used_at IS NULL',
        )
        .run(now, grantId, hash).changes === 1
    );
  }

  // API tokens

  async insertApiToken(token: Omit<ApiToken, 'lastUsedAt' | 'revokedAt'> & { hash: string }): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO identity_api_tokens (id, token_hash, user_id, name, scopes, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        token.id,
        token.hash,
        token.userId,
        token.name,
        joinScopes(token.scopes),
        token.createdAt,
        token.expiresAt,
      );
  }

  async findApiTokenByHash(hash: string): Promise<ApiToken | undefined> {
    const row = this.db.prepare('SELECT * FROM identity_api_tokens WHERE token_hash = ?').get(hash) as
      | ApiTokenRow
      | undefined;
    return row && toApiToken(row);
  }

  async listApiTokens(userId: string): Promise<ApiToken[]> {
    return (
      this.db
        .prepare('SELECT * FROM identity_api_tokens WHERE user_id = ? ORDER BY created_at, id')
        .all(userId) as ApiTokenRow[]
    ).map(toApiToken);
  }

  async touchApiToken(id: string, now: number): Promise<void> {
    this.db.prepare('UPDATE identity_api_tokens SET last_used_at = ? WHERE id = ?').run(now, id);
  }

  async revokeApiToken(id: string, userId: string, now: number): Promise<boolean> {
    return (
      this.db
        .prepare(
          'UPDATE identity_api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL',
        )
        .run(now, id, userId).changes === 1
    );
  }

  // Terms of service

  async acceptTerms(userId: string, party: string, version: string, now: number): Promise<void> {
    this.db
      .prepare(
        'INSERT OR IGNORE INTO identity_terms_acceptances (user_id, party, version, accepted_at) VALUES (?, ?, ?, ?)',
      )
      .run(userId, party, version, now);
  }

  async termsAcceptedAt(userId: string, party: string, version: string): Promise<number | undefined> {
    const row = this.db
      .prepare(
        'SELECT accepted_at AS acceptedAt FROM identity_terms_acceptances WHERE user_id = ? AND party = ? AND version = ?',
      )
      .get(userId, party, version) as { acceptedAt: number } | undefined;
    return row?.acceptedAt;
  }

  // Payment methods (brand + last4 + pm_ id only; never the card number or CVC)

  async insertPaymentMethod(userId: string, method: PaymentMethod): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO identity_payment_methods (id, user_id, brand, last4, exp_month, exp_year, declines, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        method.id,
        userId,
        method.brand,
        method.last4,
        method.expMonth,
        method.expYear,
        method.declines ? 1 : 0,
        method.createdAt,
      );
  }

  async listPaymentMethods(userId: string): Promise<PaymentMethod[]> {
    const rows = this.db
      .prepare(
        `SELECT id, brand, last4, exp_month AS expMonth, exp_year AS expYear, declines, created_at AS createdAt
         FROM identity_payment_methods WHERE user_id = ? ORDER BY created_at DESC, rowid DESC`,
      )
      .all(userId) as (Omit<PaymentMethod, 'declines'> & { declines: number })[];
    return rows.map((row) => ({ ...row, declines: row.declines === 1 }));
  }
}
