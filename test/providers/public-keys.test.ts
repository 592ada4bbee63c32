import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderClient } from '../../src/client/provider-client.js';
import { runConformance } from '../../src/conformance/suite.js';
import { looksLikeCredential, publicValues, SECRET_PREFIXES } from '../../src/protocol/secret-shape.js';
import { newSecret } from '../../src/protocol/secrets.js';
import { loadSandboxModules } from '../../src/sandbox/modules.js';
import { readProviderSecrets } from '../../src/sandbox/provider-secrets.js';
import { randomToken } from '../../src/sandbox/providers/framework/secrets.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { linkNewAccount } from './harness.js';
import { LEAKY_PROVIDER, VAULT_DATABASE_PASSWORD } from './leaky-provider.js';

describe('looksLikeCredential', () => {
  it('lets ids, hostnames and plain URLs through', () => {
    const shown = [
      `res_${randomBytes(12).toString('hex')}`,
      `acct_${randomBytes(16).toString('hex')}`,
      '550e8400-e29b-41d4-a716-446655440000',
      'my-awesome-portfolio-website.localhost',
      'http://127.0.0.1:4780/providers/edge/deploy',
      'https://api.example.com/providers/data/kv/res_0de7997ec84a1c6fecb6379c?region=eu-west-1',
      'https://api.example.com/v1/projects/Shop2026/resources/res_0de7997ec84a1c6fecb6379c/records',
      'us-east-1',
    ];
    expect(shown.filter(looksLikeCredential)).toEqual([]);
  });

  it("catches this system's secrets, any issuer's random tokens and credential syntax", () => {
    const secrets = [
      ...SECRET_PREFIXES.map(newSecret),
      ...Array.from({ length: 50 }, (_, i) => randomToken(`p${i}_`)),
      randomBytes(32).toString('hex'),
      'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      // Standard base64, fixed (a random one lacks a digit about once in a thousand, and then passes).
      ...Array.from({ length: 20 }, (_, i) => createHash('sha256').update(`key ${i}`).digest('base64')),
      `postgres://app:${VAULT_DATABASE_PASSWORD}@db.example.com:5432/app`,
      'https://hooks.example.com/notify?token=abc',
      'https://api.example.com/v1?api_key=abc',
      'Bearer abcdefgh12345678',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
      '-----BEGIN RSA PRIVATE KEY-----',
    ];
    expect(secrets.filter((value) => !looksLikeCredential(value))).toEqual([]);
  });

  it('publicValues keeps only marked, present, harmless entries', () => {
    const values = { ID: 'res_1', TOKEN: newSecret('dtok'), URL: 'https://x.example/kv' };
    expect(publicValues(values, ['ID', 'TOKEN', 'URL', 'MISSING', 'constructor'])).toEqual({
      ID: 'res_1',
      URL: 'https://x.example/kv',
    });
    expect(publicValues(values)).toEqual({});
  });
});

/** The providers' marking over real HTTP, and the conformance suite against a provider that marks too much. */
describe('public_keys of access configurations', () => {
  let dataDir: string;
  let sandbox: TestSandbox;
  const secretOf = (id: string) =>
    readProviderSecrets(sandbox.db, sandbox.context.secrets).find((provider) => provider.id === id)!
      .signingSecret;
  const clientOf = (id: string) =>
    new ProviderClient({
      baseUrl: `${sandbox.url}/providers/${id}/`,
      secret: secretOf(id),
      orchestratorId: 'sandbox',
    });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'projects-public-keys-'));
    const modules = await loadSandboxModules({ dataDir, extraProviders: [LEAKY_PROVIDER] });
    sandbox = await startTestSandbox({ dataDir, modules });
  });
  afterAll(async () => {
    await sandbox?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('edge marks the site id and the deploy API URL public, on creation, replay and rotation only', async () => {
    const client = clientOf('edge');
    const account = await linkNewAccount(sandbox, client);
    const request = {
      service_id: 'hosting:site',
      configuration: { name: `pub${randomBytes(4).toString('hex')}` },
      idempotency_key: `public-keys-${randomBytes(8).toString('hex')}`,
    };
    const created = await client.createResource(account, request);
    expect(created.public_keys).toEqual(['EDGE_SITE_ID', 'EDGE_DEPLOY_API_URL']);
    expect(created.access_configuration?.EDGE_SITE_ID).toBe(created.id);
    expect(publicValues(created.access_configuration ?? {}, created.public_keys)).toEqual({
      EDGE_SITE_ID: created.id,
      EDGE_DEPLOY_API_URL: `${sandbox.url}/providers/edge/deploy`,
    });
    expect((await client.createResource(account, request)).public_keys).toEqual(created.public_keys);
    expect((await client.rotateCredentials(account, created.id)).public_keys).toEqual(created.public_keys);
    const read = await client.getResource(account, created.id);
    expect([read.access_configuration, read.public_keys]).toEqual([undefined, undefined]);
  });

  it('data marks the store URL public, never its token', async () => {
    const client = clientOf('data');
    const created = await client.createResource(await linkNewAccount(sandbox, client), {
      service_id: 'kv:starter',
      configuration: {},
      idempotency_key: `public-keys-${randomBytes(8).toString('hex')}`,
    });
    expect(created.public_keys).toEqual(['KV_REST_API_URL']);
  });

  it('the conformance suite fails a provider that marks a credential or a missing key public', async () => {
    const report = await runConformance({
      baseUrl: `${sandbox.url}/providers/leaky/`,
      secret: secretOf('leaky'),
    });
    const failed = report.results.filter((result) => !result.ok);
    expect(failed.map((result) => result.name)).toEqual([
      'resources: access keys marked public exist and do not look like credentials',
    ]);
    const detail = failed[0]?.detail ?? '';
    expect(detail).toContain(
      'vault:free: VAULT_TOKEN is marked public but its value looks like a credential',
    );
    expect(detail).toContain('VAULT_DATABASE_URL is marked public but its value looks like a credential');
    expect(detail).toContain('VAULT_REGION is marked public but is not in access_configuration');
    expect(detail).not.toContain('VAULT_ID');
    // The report names keys, never values.
    expect(detail).not.toMatch(/vlt_|hunter-/);
    expect(report.passed).toBe(false);
  });
});
