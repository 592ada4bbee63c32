import { moneyOrNull } from '../../../core/money.js';
import { ProjectsError } from '../../../protocol/errors.js';
import type { Money, Resource } from '../../../protocol/orchestrator.js';
import type { Resource as ProviderResource } from '../../../protocol/provider.js';
import { publicValues } from '../../../protocol/secret-shape.js';
import type { SealedColumn, SecretBox } from '../../secret-box.js';
import type { OrchestratorStorage } from '../storage/unit-of-work.js';
import { newId } from './ids.js';
import type { ResourceRecord } from './repository.js';

/**
 * Resources bought through the orchestrator. The provider-issued credentials (access configuration)
 * are kept in their own table so that listings can never carry them; they leave only in the answer of
 * the provision that created them (and its idempotent replay) or of a rotation. They are sealed at rest.
 * The few the provider marked public (ids, URLs) and that do not look like a credential are also kept in
 * clear with the resource, so that listings show them (`public_credentials`).
 */
export const RESOURCE_CREDENTIALS: SealedColumn = {
  table: 'runs_resource_credentials',
  column: 'access_configuration',
};

export interface NewResource {
  userId: string;
  projectId: string;
  provider: string;
  service: string;
  name: string | null;
  providerResourceId: string;
  price: Money | null;
  quoteId: string | null;
  approvalId: string | null;
  access: AccessConfiguration;
}

/** A provider's access configuration and the names of its entries it says are public. */
export interface AccessConfiguration {
  credentials: Record<string, string>;
  publicKeys: readonly string[];
}

/** What a provider's resource answer (create, replay, rotate) hands out. */
export function accessOf(resource: ProviderResource): AccessConfiguration {
  return { credentials: resource.access_configuration ?? {}, publicKeys: resource.public_keys ?? [] };
}

export interface StoredResource {
  resource: Resource;
  quoteId: string | null;
  approvalId: string | null;
}

export class ResourceStore {
  constructor(
    private readonly storage: OrchestratorStorage,
    private readonly secrets: SecretBox,
  ) {}

  /**
   * Records a bought resource with its credentials, in one unit (joining the caller's, given a tx). Once
   * per provider resource: when a rerun of the purchase step gets the same resource back from the
   * provider, the one recorded the first time is answered (`created: false`) and nothing is written.
   */
  async record(
    store: OrchestratorStorage,
    input: NewResource,
    now: Date,
  ): Promise<{ resource: Resource; created: boolean }> {
    const record: ResourceRecord = {
      id: newId('res'),
      user_id: input.userId,
      project_id: input.projectId,
      provider: input.provider,
      service: input.service,
      name: input.name,
      status: 'active',
      provider_resource_id: input.providerResourceId,
      credential_names: Object.keys(input.access.credentials).sort(),
      public_credentials: publicValues(input.access.credentials, input.access.publicKeys),
      price_amount: input.price?.amount ?? null,
      price_currency: input.price?.currency ?? null,
      quote_id: input.quoteId,
      approval_id: input.approvalId,
      created_at: now.toISOString(),
    };
    const sealed = this.seal(input.access.credentials);
    return store.transaction(async (tx) => {
      const found = await tx.resources.findByProviderResource(
        input.userId,
        input.provider,
        input.providerResourceId,
      );
      if (found) return { resource: toResource(found), created: false };
      await tx.resources.insert(record, sealed);
      return { resource: toResource(record), created: true };
    });
  }

  async get(userId: string, id: string): Promise<StoredResource> {
    const record = await this.storage.transaction((tx) => tx.resources.find(userId, id));
    if (!record) throw new ProjectsError('NOT_FOUND', `no resource '${id}'`, { httpStatus: 404 });
    return { resource: toResource(record), quoteId: record.quote_id, approvalId: record.approval_id };
  }

  async listByProject(projectId: string): Promise<Resource[]> {
    return (await this.storage.transaction((tx) => tx.resources.listByProject(projectId))).map(toResource);
  }

  /** Names already bought in a project: the look-alike check compares a new name with these. */
  namesInProject(projectId: string): Promise<string[]> {
    return this.storage.transaction((tx) => tx.resources.namesInProject(projectId));
  }

  async credentials(resourceId: string): Promise<Record<string, string>> {
    const sealed = await this.storage.transaction((tx) => tx.resources.credentials(resourceId));
    if (sealed === undefined) return {};
    return JSON.parse(this.secrets.open(sealed, RESOURCE_CREDENTIALS)) as Record<string, string>;
  }

  /** Replaces a resource's credentials (a rotation), in the caller's unit when given one. */
  saveCredentials(
    resourceId: string,
    { credentials, publicKeys }: AccessConfiguration,
    store: OrchestratorStorage = this.storage,
  ): Promise<void> {
    const sealed = this.seal(credentials);
    const names = Object.keys(credentials).sort();
    const shown = publicValues(credentials, publicKeys);
    return store.transaction((tx) => tx.resources.saveCredentials(resourceId, sealed, names, shown));
  }

  private seal(credentials: Record<string, string>): string {
    return this.secrets.seal(JSON.stringify(credentials), RESOURCE_CREDENTIALS);
  }

  /** Marks a resource removed and forgets its credentials, in the caller's unit when given one. */
  markRemoved(resourceId: string, store: OrchestratorStorage = this.storage): Promise<void> {
    return store.transaction((tx) => tx.resources.markRemoved(resourceId));
  }
}

function toResource(row: ResourceRecord): Resource {
  return {
    id: row.id,
    project_id: row.project_id,
    provider: row.provider,
    service: row.service,
    name: row.name,
    status: row.status,
    provider_resource_id: row.provider_resource_id,
    credential_names: row.credential_names,
    public_credentials: row.public_credentials,
    price: moneyOrNull(row.price_amount, row.price_currency),
    created_at: row.created_at,
  };
}
