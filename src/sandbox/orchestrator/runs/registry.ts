import { ProjectsError } from '../../../protocol/errors.js';
import type { SealedColumn, SecretBox } from '../../secret-box.js';
import type { OrchestratorStorage } from '../storage/unit-of-work.js';
import type { ProviderRecord } from './repository.js';

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

/** The orchestrator signs every call to a provider with these, so it keeps them sealed, not hashed. */
export const REGISTERED_SIGNING_SECRETS: SealedColumn = { table: 'runs_providers', column: 'signing_secret' };

export class ProviderRegistry {
  constructor(
    private readonly storage: OrchestratorStorage,
    private readonly secrets: SecretBox,
  ) {}

  /**
   * Records the sandbox's own providers once the server listens (their URLs carry the port). A platform
   * registering external providers would call `upsert` with their public base URLs instead.
   */
  async seed(
    orchestratorUrl: string,
    registrations: readonly ProviderRegistration[],
    now: Date,
  ): Promise<void> {
    for (const registration of registrations) {
      await this.upsert(
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

  upsert(provider: RegisteredProvider, now: Date): Promise<void> {
    const record = {
      ...toRecord(provider),
      signing_secret: this.secrets.seal(provider.signingSecret, REGISTERED_SIGNING_SECRETS),
    };
    return this.storage.transaction((tx) => tx.providers.upsert(record, now.toISOString()));
  }

  list(): Promise<RegisteredProvider[]> {
    return this.storage.transaction(async (tx) =>
      (await tx.providers.list()).map((row) => this.#toProvider(row)),
    );
  }

  find(id: string): Promise<RegisteredProvider | undefined> {
    return this.storage.transaction(async (tx) => {
      const record = await tx.providers.find(id);
      return record && this.#toProvider(record);
    });
  }

  async get(id: string): Promise<RegisteredProvider> {
    const provider = await this.find(id);
    if (!provider) {
      throw new ProjectsError('NOT_FOUND', `no provider '${id}' is registered`, {
        httpStatus: 404,
        next: [{ command: 'projects catalog', why: 'list the providers and services available' }],
      });
    }
    return provider;
  }

  #toProvider(row: ProviderRecord): RegisteredProvider {
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

function toRecord(provider: RegisteredProvider): ProviderRecord {
  return {
    id: provider.id,
    name: provider.name,
    base_url: provider.baseUrl,
    signing_secret: provider.signingSecret,
    terms_url: provider.termsUrl,
    terms_version: provider.termsVersion,
  };
}
