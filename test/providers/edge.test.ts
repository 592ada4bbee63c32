import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderClient } from '../../src/client/provider-client.js';
import { issuePaymentToken } from '../../src/sandbox/orchestrator/money/tokens.js';
import { readProviderSecrets } from '../../src/sandbox/provider-secrets.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { linkNewAccount } from './harness.js';

/** The edge provider in the composed sandbox: captures at the real orchestrator, the real deploy API and DNS. */
describe('edge provider: domains, zones, sites', () => {
  let sandbox: TestSandbox;
  let client: ProviderClient;
  let account: string;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    const secret = readProviderSecrets(sandbox.db, sandbox.context.secrets).find(
      (provider) => provider.id === 'edge',
    )!.signingSecret;
    client = new ProviderClient({
      baseUrl: `${sandbox.url}/providers/edge/`,
      secret,
      orchestratorId: 'sandbox',
    });
    account = await linkNewAccount(sandbox, client);
  });
  afterAll(async () => sandbox?.close());

  const captureUrl = () => `${sandbox.url}/v1/provider/captures`;
  const quoteDomain = (name: string) =>
    client.quote({ service_id: 'registrar:domain', configuration: { name } });
  const paymentToken = async (maxAmount: number, key: string) =>
    (
      await issuePaymentToken(sandbox.context, {
        userId: sandbox.user.id,
        actor: `human:${sandbox.user.email}`,
        projectId: null,
        providerId: 'edge',
        maxAmount,
        currency: 'usd',
        idempotencyKey: key,
      })
    ).token;
  const captures = () =>
    sandbox.db
      .prepare("SELECT amount, currency FROM money_captures WHERE provider_id = 'edge' ORDER BY rowid")
      .all();

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
    const tlds = ['com', 'net', 'org', 'dev', 'app', 'io', 'club', 'cc', 'xyz', 'ai'];
    const prices = await Promise.all(tlds.map((tld) => quoteDomain(`projectsdemo.${tld}`)));
    expect(prices.every((quote) => quote.availability === 'available' && quote.price > 900)).toBe(true);
    expect(new Set(prices.map((quote) => quote.price)).size).toBeGreaterThan(5);
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
    const tooSmall = await paymentToken(quote.price - 1, 'issue-too-small');
    await expect(
      client.createResource(account, {
        ...base,
        idempotency_key: 'idk_refused_3',
        quote_id: quote.id,
        payment_credentials: { type: 'payment_token', token: tooSmall, capture_url: captureUrl() },
      }),
    ).rejects.toMatchObject({ code: 'PAYMENT_DECLINED' });
    // Nothing stayed reserved and nothing was charged: the name is still for sale.
    expect((await quoteDomain('refused-purchase.dev')).availability).toBe('available');
    expect(captures()).toHaveLength(0);

    // The same step may try again with a good token: it buys once.
    const bought = await client.createResource(account, {
      ...base,
      idempotency_key: 'idk_refused_3',
      quote_id: quote.id,
      payment_credentials: {
        type: 'payment_token',
        token: await paymentToken(quote.price, 'issue-after-refusal'),
        capture_url: captureUrl(),
      },
    });
    expect(bought.status).toBe('active');
    expect(captures()).toEqual([{ amount: 1200, currency: 'usd' }]);
  });

  it('captures only at the orchestrator it is registered with, and redirects only there', async () => {
    const quote = await quoteDomain('elsewhere.dev');
    await expect(
      client.createResource(account, {
        service_id: 'registrar:domain',
        configuration: { name: 'elsewhere.dev' },
        idempotency_key: 'idk_elsewhere',
        quote_id: quote.id,
        payment_credentials: {
          type: 'payment_token',
          token: await paymentToken(quote.price, 'issue-elsewhere'),
          capture_url: 'http://127.0.0.1:9/v1/provider/captures',
        },
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('capture_url') });
    await expect(
      client.requestAccount({
        email: 'someone@example.org',
        scopes: [],
        code_challenge: 'x'.repeat(43),
        code_challenge_method: 'S256',
        redirect_uri: 'https://attacker.example/callback',
        state: 'state-123456',
        expires_at: new Date(Date.now() + 60_000).toISOString(),
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('redirect_uri') });
  });

  it('captures exactly once at the orchestrator when the purchase is retried 5 times', async () => {
    const quote = await quoteDomain('superseal.club');
    const request = {
      service_id: 'registrar:domain',
      configuration: { name: 'superseal.club' },
      idempotency_key: 'idk_run1_step_domain',
      quote_id: quote.id,
      payment_credentials: {
        type: 'payment_token' as const,
        token: await paymentToken(quote.price, 'issue-domain'),
        capture_url: captureUrl(),
      },
    };
    const before = captures().length;
    const concurrent = await Promise.all([0, 1].map(() => client.createResource(account, request)));
    const sequential = [];
    for (let i = 0; i < 3; i++) sequential.push(await client.createResource(account, request));
    const answers = [...concurrent, ...sequential];
    expect(new Set(answers.map((answer) => answer.id)).size).toBe(1);
    expect(captures().slice(before)).toEqual([{ amount: 1299, currency: 'usd' }]);
    const first = answers[0]!;
    expect(first.billing).toMatchObject({ status: 'paid', amount: 1299, refundable: false });
    expect(first.billing.capture_id).toMatch(/^cap_/);
    expect(first.access_configuration?.EDGE_DOMAIN_TRANSFER_AUTH_CODE).toMatch(/^auth_/);
    const dnsTokens = new Set(answers.map((answer) => answer.access_configuration?.EDGE_DNS_API_TOKEN));
    expect(dnsTokens.size).toBe(1);
    expect((await quoteDomain('superseal.club')).unavailable_reason).toBe('taken');
  });

  it('manages the zone of a registered domain with its token, served by the DNS server', async () => {
    const quote = await quoteDomain('zone-test.dev');
    const domain = await client.createResource(account, {
      service_id: 'registrar:domain',
      configuration: { name: 'zone-test.dev' },
      idempotency_key: 'idk_run1_step_zone',
      quote_id: quote.id,
      payment_credentials: {
        type: 'payment_token',
        token: await paymentToken(quote.price, 'issue-zone'),
        capture_url: captureUrl(),
      },
    });
    const api = domain.access_configuration!.EDGE_DNS_API_URL!;
    const headers = {
      authorization: `Bearer ${domain.access_configuration!.EDGE_DNS_API_TOKEN}`,
      'content-type': 'application/json',
    };
    const created = await fetch(`${api}/records`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ type: 'A', name: 'www', value: '127.0.0.7' }),
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      name: 'www.zone-test.dev',
      type: 'A',
      value: '127.0.0.7',
      ttl: 300,
    });
    expect((await fetch(`${api}/records`, { headers: { authorization: 'Bearer dns_nope' } })).status).toBe(
      401,
    );

    const zoneFile = await (await fetch(`${api}/export`, { headers })).text();
    expect(zoneFile).toContain('$ORIGIN zone-test.dev.');
    expect(zoneFile).toContain('www.zone-test.dev. 300 IN A 127.0.0.7');

    const resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([sandbox.context.endpoints.get('dns')!]);
    expect(await resolver.resolve4('www.zone-test.dev')).toEqual(['127.0.0.7']);

    // Rotating the domain's credentials rotates the zone token too.
    const rotated = await client.rotateCredentials(account, domain.id);
    expect((await fetch(`${api}/records`, { headers })).status).toBe(401);
    const fresh = { authorization: `Bearer ${rotated.access_configuration!.EDGE_DNS_API_TOKEN}` };
    expect((await fetch(`${api}/records`, { headers: fresh })).status).toBe(200);
  });

  it('sells the Pro site plan monthly, and removal cancels the billing', async () => {
    const quote = await client.quote({ service_id: 'hosting:site', configuration: { plan: 'pro' } });
    expect(quote).toMatchObject({ price: 2000, billing: 'recurring', interval: 'month', refundable: false });
    const pro = await client.createResource(account, {
      service_id: 'hosting:site',
      configuration: { plan: 'pro' },
      idempotency_key: 'idk_run1_step_pro_site',
      quote_id: quote.id,
      payment_credentials: {
        type: 'payment_token',
        token: await paymentToken(quote.price, 'issue-pro-site'),
        capture_url: captureUrl(),
      },
    });
    expect(pro.billing).toMatchObject({ status: 'active', amount: 2000, interval: 'month' });
    expect((await client.removeResource(account, pro.id)).billing.status).toBe('canceled');
  });

  it('hosts a site whose deploy token the deploy API accepts until it is rotated', async () => {
    const site = await client.createResource(account, {
      service_id: 'hosting:site',
      configuration: { name: 'my-site' },
      idempotency_key: 'idk_run1_step_site',
    });
    expect(site.details).toMatchObject({ name: 'my-site', plan: 'free', hostname: 'my-site.localhost' });
    const deployments = `${site.access_configuration!.EDGE_DEPLOY_API_URL}/v1/deployments`;
    const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
    const token = site.access_configuration!.EDGE_DEPLOY_TOKEN!;
    expect((await fetch(deployments, bearer(token))).status).toBe(200);
    const rotated = await client.rotateCredentials(account, site.id);
    expect((await fetch(deployments, bearer(token))).status).toBe(401);
    const fresh = rotated.access_configuration!.EDGE_DEPLOY_TOKEN!;
    expect((await fetch(deployments, bearer(fresh))).status).toBe(200);
    await client.removeResource(account, site.id);
    expect((await fetch(deployments, bearer(fresh))).status).toBe(401);
  });
});
