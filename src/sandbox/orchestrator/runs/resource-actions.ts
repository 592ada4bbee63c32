import { canonicalHash } from '../../../core/canonical-json.js';
import type { Resource } from '../../../protocol/orchestrator.js';
import type { Principal } from '../../../protocol/scopes.js';
import type { SandboxContext } from '../../context.js';
import { appendAudit } from '../audit/chain.js';
import type { OrchestratorStorage } from '../storage/unit-of-work.js';
import type { Accounts } from './accounts.js';
import { gateOnApproval } from './approvals.js';
import type { ProviderCalls } from './provider-calls.js';
import type { ProviderRegistry } from './registry.js';
import { accessOf, type ResourceStore } from './resources.js';

/**
 * Rotating a resource's credentials and removing it, at the provider first, then here. Removing
 * something that was paid for throws the money away, so it is a human gate like the purchase was.
 */
export class ResourceActions {
  constructor(
    private readonly ctx: SandboxContext,
    private readonly registry: ProviderRegistry,
    private readonly calls: ProviderCalls,
    private readonly accounts: Accounts,
    private readonly resources: ResourceStore,
  ) {}

  async rotate(
    principal: Principal,
    id: string,
  ): Promise<{ resource: Resource; credentials: Record<string, string> }> {
    const { resource } = await this.resources.get(principal.userId, id);
    const provider = await this.registry.get(resource.provider);
    const token = await this.accounts.tokenFor(principal, provider);
    const rotated = await this.calls.client(provider).rotateCredentials(token, resource.provider_resource_id);
    const access = accessOf(rotated);
    // The change and its audit event commit together (S5), as a purchase's do.
    await this.ctx.storage.transaction(async (tx) => {
      await this.resources.saveCredentials(resource.id, access, tx);
      await this.audit(tx, principal, resource, 'resource.rotate');
    });
    return {
      resource: (await this.resources.get(principal.userId, id)).resource,
      credentials: access.credentials,
    };
  }

  async remove(principal: Principal, id: string): Promise<Resource> {
    const { resource } = await this.resources.get(principal.userId, id);
    if (resource.status === 'removed') return resource;
    if (resource.price) {
      await gateOnApproval(
        this.ctx,
        {
          userId: principal.userId,
          kind: 'remove',
          title: `Remove ${resource.name ?? resource.service} (${resource.provider}); what was paid is lost`,
          planHash: canonicalHash({ action: 'remove', resource: resource.id }),
          projectId: resource.project_id,
          provider: resource.provider,
          service: resource.service,
          nameAsked: resource.name,
          nameOffered: resource.name,
          price: resource.price,
          refundable: false,
          warnings: ['removing a paid resource does not refund it'],
        },
        ['removing a paid resource throws away what was paid'],
        `remove:${resource.id}`,
      );
    }
    const provider = await this.registry.get(resource.provider);
    const token = await this.accounts.tokenFor(principal, provider);
    await this.calls.client(provider).removeResource(token, resource.provider_resource_id);
    await this.ctx.storage.transaction(async (tx) => {
      await this.resources.markRemoved(resource.id, tx);
      await this.audit(tx, principal, resource, 'resource.remove');
    });
    return (await this.resources.get(principal.userId, id)).resource;
  }

  private async audit(
    store: OrchestratorStorage,
    principal: Principal,
    resource: Resource,
    action: string,
  ): Promise<void> {
    await appendAudit(store, {
      userId: principal.userId,
      actor: principal.actor,
      projectId: resource.project_id,
      action,
      subject: resource.id,
      result: 'ok',
      details: { provider: resource.provider, service: resource.service },
      now: this.ctx.now(),
    });
  }
}
