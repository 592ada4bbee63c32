import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogResponse, CatalogService } from '../../src/protocol/orchestrator.js';
import { CatalogResponseSchema, CatalogServiceSchema } from '../../src/protocol/orchestrator.js';
import { type RunsSandbox, registerBrokenProvider, startRunsSandbox } from './harness.js';

describe('catalog aggregation over real providers', () => {
  let sandbox: RunsSandbox;
  const servers: Server[] = [];

  beforeAll(async () => {
    sandbox = await startRunsSandbox();
  });
  afterAll(async () => {
    for (const server of servers) server.close();
    await sandbox.close();
  });

  it('lists every provider service with its pricing and configuration schema', async () => {
    const answer = await sandbox.api<CatalogResponse>('GET', '/v1/catalog');
    expect(answer.status).toBe(200);
    const catalog = CatalogResponseSchema.parse(answer.body);
    const refs = catalog.services.map((service) => service.ref);
    expect(refs).toEqual(expect.arrayContaining(['data/kv:starter', 'data/kv:pro']));
    const pro = catalog.services.find((service) => service.ref === 'data/kv:pro');
    expect(pro?.pricing).toMatchObject({ type: 'paid', amount: 900, refundable: false });
    expect(pro?.configuration_schema).toHaveProperty('type', 'object');
    expect(catalog.providers.find((provider) => provider.id === 'data')?.status).toBe('ok');
  });

  it('filters by search text, provider and category', async () => {
    const search = await sandbox.api<CatalogResponse>('GET', '/v1/catalog?q=KV%20pro');
    expect(search.body.services.map((service) => service.ref)).toEqual(['data/kv:pro']);
    const byProvider = await sandbox.api<CatalogResponse>('GET', '/v1/catalog?provider=nobody');
    expect(byProvider.body.services).toEqual([]);
    const byCategory = await sandbox.api<CatalogResponse>(
      'GET',
      '/v1/catalog?category=Storage&provider=data',
    );
    expect(byCategory.body.services.length).toBe(2);
    const none = await sandbox.api<CatalogResponse>('GET', '/v1/catalog?category=dns&provider=data');
    expect(none.body.services).toEqual([]);
  });

  it('shows one service, and NOT_FOUND for an unknown one', async () => {
    const shown = await sandbox.api<CatalogService>('GET', '/v1/catalog/data/kv:starter');
    expect(shown.status).toBe(200);
    expect(CatalogServiceSchema.parse(shown.body).pricing.type).toBe('free');
    const missing = await sandbox.api('GET', '/v1/catalog/data/kv:nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error?.code).toBe('NOT_FOUND');
  });

  it('serves the cached catalog until refreshed, then sees a newly registered provider', async () => {
    servers.push(await registerBrokenProvider(sandbox, 'flaky', { status: 500, body: '{"oops":1}' }));
    const cached = await sandbox.api<CatalogResponse>('GET', '/v1/catalog');
    expect(cached.body.providers.map((provider) => provider.id)).not.toContain('flaky');
    const refreshed = await sandbox.api<CatalogResponse>('GET', '/v1/catalog?refresh=true');
    const flaky = refreshed.body.providers.find((provider) => provider.id === 'flaky');
    expect(flaky).toMatchObject({ status: 'unavailable', error: { code: 'PROVIDER_UNAVAILABLE' } });
    // The healthy provider's services are still served.
    expect(refreshed.body.services.some((service) => service.provider === 'data')).toBe(true);
  });

  it('turns a provider answering garbage into INVALID_RESPONSE, and a 500 into PROVIDER_UNAVAILABLE', async () => {
    servers.push(
      await registerBrokenProvider(sandbox, 'garbage', { status: 200, body: '{"services":"no"}' }),
    );
    const garbage = await sandbox.api('GET', '/v1/catalog/garbage/kv:x?refresh=1');
    expect(garbage.status).toBe(503);
    expect(garbage.body.error).toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    expect(garbage.body.error?.details).toMatchObject({ provider: 'garbage', cause: 'INVALID_RESPONSE' });
    const failing = await sandbox.api('GET', '/v1/catalog/flaky/kv:x');
    expect(failing.body.error).toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      details: { cause: 'PROVIDER_UNAVAILABLE' },
    });
  });
});
