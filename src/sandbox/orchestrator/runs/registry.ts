import { ProjectsError } from '../../../protocol/errors.js';
import type { Db } from '../../db.js';
import type { SealedColumn, SecretBox } from '../../secret-box.js';

/** What the sandbox composition hands over for each reference provider it mounts. */
export interface ProviderRegistration {
  id: string;
  /** Mount prefix inside the sandbox, e.g. `/providers/edge`. */
  prefix: string;
  signingSecret: string;
  name?: string;
  termsVersion?: string;
}

/** A provider this orchestrator talks to: where it lives, how requests to it are signed, its terms. */
export interface RegisteredProvider {
  id: string;
  name: string;
  /** Always ends with `/`; the provider's API is `<baseUrl>provisioning/...`. */
  baseUrl: string;
  signingSecret: string;
  termsUrl: string;
  termsVersion: string;
}

export const REGISTRY_MIGRATION = `
CREATE TABLE runs_providers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  base_url TEXT NOT NULL,
  signing_secret TEXT NOT NULL,
  terms_url TEXT NOT NULL,
  terms_version TEXT NOT NULL,
  updated_at TEXT NOT NULL
)`;

interface ProviderRow {
  id: string;
  name: string;
  base_url: string;
  signing_secret: string;
  terms_url: string;
  terms_version: string;
}

/** The orchestrator signs every call to a provider with these, so it keeps them sealed, not hashed. */
export const REGISTERED_SIGNING_SECRETS: SealedColumn = { table: 'runs_providers', column: 'signing_secret' };

export class ProviderRegistry {
  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
  ) {}

  /**
   * Records the sandbox's own providers once the server listens (their URLs carry the port). A platform
   * registering external providers would call `upsert` with their public base URLs instead.
   */
  seed(orchestratorUrl: string, registrations: readonly ProviderRegistration[], now: Date): void {
    for (const registration of registrations) {
      this.upsert(
        {
          id: registration.id,
          name: registration.name ?? registration.id,
          baseUrl: `${orchestratorUrl}${registration.prefix}/`,
          signingSecret: registration.signingSecret,
          termsUrl: `${orchestratorUrl}/terms/${registration.id}`,
          termsVersion: registration.termsVersion ?? '1',
        },
        now,
      );
    }
  }

  upsert(provider: RegisteredProvider, now: Date): void {
    this.db
      .prepare(
        `INSERT INTO runs_providers (id, name, base_url, signing_secret, terms_url, terms_version, updated_at)
         VALUES (@id, @name, @baseUrl, @signingSecret, @termsUrl, @termsVersion, @updatedAt)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, base_url = excluded.base_url,
           signing_secret = excluded.signing_secret, terms_url = excluded.terms_url,
           terms_version = excluded.terms_version, updated_at = excluded.updated_at`,
      )
      .run({
        ...provider,
        signingSecret: this.secrets.seal(provider.signingSecret, REGISTERED_SIGNING_SECRETS),
        updatedAt: now.toISOString(),
      });
  }

  list(): RegisteredProvider[] {
    const rows = this.db.prepare('SELECT * FROM runs_providers ORDER BY id').all() as ProviderRow[];
    return rows.map((row) => this.#toProvider(row));
  }

  find(id: string): RegisteredProvider | undefined {
    const row = this.db.prepare('SELECT * FROM runs_providers WHERE id = ?').get(id) as
      | ProviderRow
      | undefined;
    return row && this.#toProvider(row);
  }

  get(id: string): RegisteredProvider {
    const provider = this.find(id);
    if (!provider) {
      throw new ProjectsError('NOT_FOUND', `no provider '${id}' is registered`, {
        httpStatus: 404,
        next: [{ command: 'projects catalog', why: 'list the providers and services available' }],
      });
    }
    return provider;
  }

  #toProvider(row: ProviderRow): RegisteredProvider {
    return {
      id: row.id,
      name: row.name,
      baseUrl: row.base_url,
      signingSecret: this.secrets.open(row.signing_secret, REGISTERED_SIGNING_SECRETS),
      termsUrl: row.terms_url,
      termsVersion: row.terms_version,
    };
  }
}
