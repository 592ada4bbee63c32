import { describe, expect, it } from 'vitest';
import { parseServiceRef, pickService } from '../../src/cli/service-ref.js';
import type { CatalogService } from '../../src/protocol/orchestrator.js';

function service(provider: string, id: string, kind: string): CatalogService {
  return {
    provider,
    id,
    ref: `${provider}/${id}`,
    kind,
    name: id,
    description: '',
    categories: [],
    pricing: { type: 'free' },
    configuration_schema: {},
  };
}

const services = [
  service('edge', 'registrar:domain', 'domain'),
  service('edge', 'dns:zone', 'dns_zone'),
  service('edge', 'hosting:site', 'site'),
  service('edge', 'hosting:worker', 'worker'),
  service('data', 'kv:store', 'kv_store'),
];

describe('service references', () => {
  it('parses provider/service[:type]', () => {
    expect(parseServiceRef('edge/registrar:domain')).toEqual({
      provider: 'edge',
      service: 'registrar:domain',
    });
    expect(() => parseServiceRef('registrar:domain')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('picks the exact id, or the one service a short form names', () => {
    expect(pickService(services, parseServiceRef('edge/dns:zone')).ref).toBe('edge/dns:zone');
    expect(pickService(services, parseServiceRef('data/kv')).ref).toBe('data/kv:store');
    expect(pickService(services, parseServiceRef('edge/site')).ref).toBe('edge/hosting:site');
  });

  it('lists the candidates when a short form is ambiguous or unknown', () => {
    expect(() => pickService(services, parseServiceRef('edge/hosting'))).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        details: expect.objectContaining({ candidates: ['edge/hosting:site', 'edge/hosting:worker'] }),
      }),
    );
    expect(() => pickService(services, parseServiceRef('edge/mail'))).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
    expect(() => pickService(services, parseServiceRef('nope/x'))).toThrow(/no provider 'nope'/);
  });
});
