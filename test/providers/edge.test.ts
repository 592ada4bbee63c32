import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderClient } from '../../src/client/provider-client.js';
import { type CaptureStub, createCaptureStub } from './capture-stub.js';
import { linkNewAccount, type ProviderSandbox, providerClient, startProviderSandbox } from './harness.js';

describe('edge provider: domains, zones, sites', () => {
  let sandbox: ProviderSandbox;
  let client: ProviderClient;
  let stub: CaptureStub;
  let account: string;

  beforeAll(async () => {
    stub = createCaptureStub();
    sandbox = await startProviderSandbox([stub.module]);
    client = providerClient(sandbox, 'edge');
    account = await linkNewAccount(sandbox, client);
  });
  afterAll(async () => sandbox?.close());

  const captureUrl = () => `${sandbox.url}/v1/provider/captures`;
  const quoteDomain = (name: string) =>
    client.quote({ service_id: 'registrar:domain', configuration: { name } });

  it('quotes per TLD, non-refundable, with deterministic availability', async () => {
    const club = await quoteDomain('superseal.club');
    expect(club).toMatchObject({
      availability: 'available',
      price: 1299,
      renewal_price: 1599,
      currency: 'usd',
      billing: 'one_time',
      refundable: false,
      name_requested: 'superseal.club',
      name_offered: 'superseal.club',
    });
    expect((await quoteDomain('superseal.cc')).unavailable_reason).toBe('taken');
    expect((await quoteDomain('example.dev')).unavailable_reason).toBe('reserved');
    expect((await quoteDomain('superseal.invalidtld')).unavailable_reason).toBe('invalid');
    const premium = await quoteDomain('cloud.xyz');
    expect(premium).toMatchObject({
      availability: 'available',
      premium: true,
      price: 299_900,
      renewal_price: 1299,
    });
    const prices = await Promise.all(
      ['com', 'net', 'org', 'dev', 'app', 'io', 'cc', 'xyz', 'ai'].map((tld) =>
        quoteDomain(`projectsdemo.${tld}`),
      ),
    );
    expect(new Set(prices.map((quote) => quote.price)).size).toBeGreaterThan(5);
    expect(prices.every((quote) => quote.availability === 'available' && quote.price > 900)).toBe(true);
  });

  it('refuses a purchase without a quote, without a token, or with a token below the price', async () => {
    const quote = await quoteDomain('refused-purchase.dev');
    const base = { service_id: 'registrar:domain', configuration: { name: 'refused-purchase.dev' } };
    await expect(
      client.createResource(account, { ...base, idempotency_key: 'idk_refused_1' }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(
      client.createResource(account, { ...base, idempotency_key: 'idk_refused_2', quote_id: quote.id }),
    ).rejects.toMatchObject({ code: 'PAYMENT_DECLINED' });
    const tooSmall = stub.issueToken('edge', quote.price - 1);
    await expect(
      client.createResource(account, {
        ...base,
        idempotency_key: 'idk_refused_3',
        quote_id: quote.id,
        payment_credentials: { type: 'payment_token', token: tooSmall, capture_url: captureUrl() },
      }),
    ).rejects.toMatchObject({ code: 'PAYMENT_DECLINED' });
    // Nothing stayed reserved: the name is still for sale.
    expect((await quoteDomain('refused-purchase.dev')).availability).toBe('available');
    expect(stub.charges.filter((charge) => charge.provider === 'edge')).toHaveLength(0);
  });

  it('captures exactly once when the purchase is retried 5 times, and returns a transfer auth code', async () => {
    const quote = await quoteDomain('superseal.club');
    const token = stub.issueToken('edge', quote.price);
    const request = {
      service_id: 'registrar:domain',
      configuration: { name: 'superseal.club' },
      idempotency_key: 'idk_run1_step_domain',
      quote_id: quote.id,
      payment_credentials: { type: 'payment_token' as const, token, capture_url: captureUrl() },
    };
    const concurrent = await Promise.all([0, 1].map(() => client.createResource(account, request)));
    const sequential = [];
    for (let i = 0; i < 3; i++) sequential.push(await client.createResource(account, request));
    const answers = [...concurrent, ...sequential];
    expect(new Set(answers.map((answer) => answer.id)).size).toBe(1);
    expect(stub.charges).toHaveLength(1);
    expect(stub.charges[0]).toMatchObject({ amount: 1299, currency: 'usd', provider: 'edge' });
    const first = answers[0]!;
    expect(first.billing).toMatchObject({ status: 'paid', amount: 1299, refundable: false });
    expect(first.access_configuration?.EDGE_DOMAIN_TRANSFER_AUTH_CODE).toMatch(/^auth_/);
    expect(
      answers.every(
        (answer) =>
          answer.access_configuration?.EDGE_DNS_API_TOKEN === first.access_configuration?.EDGE_DNS_API_TOKEN,
      ),
    ).toBe(true);
    expect((await quoteDomain('superseal.club')).unavailable_reason).toBe('taken');

    // The zone came with the domain; records are managed with the zone's token.
    const api = first.access_configuration!.EDGE_DNS_API_URL!;
    const auth = {
      authorization: `Bearer ${first.access_configuration!.EDGE_DNS_API_TOKEN}`,
      'content-type': 'application/json',
    };
    const created = await fetch(`${api}/records`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ type: 'A', name: 'www', value: '127.0.0.1' }),
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      name: 'www.superseal.club',
      type: 'A',
      value: '127.0.0.1',
      ttl: 300,
    });
    const zone = sandbox.edgeSites.zoneFor('www.superseal.club');
    expect(zone?.name).toBe('superseal.club');
    expect(sandbox.edgeSites.records(zone!.id)).toEqual([
      { name: 'www.superseal.club', type: 'A', value: '127.0.0.1', ttl: 300 },
    ]);
    const wrongToken = await fetch(`${api}/records`, { headers: { authorization: 'Bearer dns_nope' } });
    expect(wrongToken.status).toBe(401);
  });

  it('hosts a site whose deploy token the serving side accepts until it is rotated', async () => {
    const site = await client.createResource(account, {
      service_id: 'hosting:site',
      configuration: { name: 'my-site' },
      idempotency_key: 'idk_run1_step_site',
    });
    expect(site.details).toMatchObject({ name: 'my-site', plan: 'free', hostname: 'my-site.localhost' });
    const token = site.access_configuration!.EDGE_DEPLOY_TOKEN!;
    expect(sandbox.edgeSites.siteForDeployToken(token)).toMatchObject({ id: site.id, name: 'my-site' });
    const rotated = await client.rotateCredentials(account, site.id);
    expect(sandbox.edgeSites.siteForDeployToken(token)).toBeUndefined();
    expect(sandbox.edgeSites.siteForDeployToken(rotated.access_configuration!.EDGE_DEPLOY_TOKEN!)?.id).toBe(
      site.id,
    );
    await client.removeResource(account, site.id);
    expect(sandbox.edgeSites.siteById(site.id)).toBeUndefined();
  });
});
