import { describe, expect, it } from 'vitest';
import {
  coerceConfig,
  parseConfigPairs,
  validateAgainstSchema,
  withName,
} from '../../src/core/config-schema.js';

const domainSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['domain'],
  properties: {
    domain: { type: 'string', minLength: 3, pattern: '^[a-z0-9.-]+$' },
    years: { type: 'integer', minimum: 1, maximum: 10 },
    privacy: { type: 'boolean' },
    tier: { enum: ['basic', 'pro'] },
    tags: { type: 'array', items: { type: 'string' }, maxItems: 2 },
  },
};

describe('--config pairs', () => {
  it('splits on the first = and lets a later key win', () => {
    expect(parseConfigPairs(['a=1', 'b=x=y', 'a=2'])).toEqual({ a: '2', b: 'x=y' });
  });

  it('refuses a pair without a key', () => {
    expect(() => parseConfigPairs(['novalue'])).toThrow(/key=value/);
    expect(() => parseConfigPairs(['=x'])).toThrow(/key=value/);
  });

  it('coerces strings to the types the schema asks for', () => {
    const config = coerceConfig(domainSchema, {
      domain: '123',
      years: '2',
      privacy: 'true',
      tags: 'a,b',
      other: 'x',
    });
    expect(config).toEqual({ domain: '123', years: 2, privacy: true, tags: ['a', 'b'], other: 'x' });
  });

  it('leaves a value that does not convert as a string, so validation names it', () => {
    const config = coerceConfig(domainSchema, { years: 'two' });
    expect(config.years).toBe('two');
    expect(validateAgainstSchema(domainSchema, { domain: 'abc', ...config })).toEqual([
      { path: '/years', message: 'must be integer' },
    ]);
  });
});

describe('validation', () => {
  it('accepts a conforming configuration', () => {
    expect(validateAgainstSchema(domainSchema, { domain: 'superseal.club', years: 1, tier: 'pro' })).toEqual(
      [],
    );
  });

  it('names every broken field', () => {
    const issues = validateAgainstSchema(domainSchema, {
      years: 11,
      tier: 'gold',
      colour: 'red',
      tags: ['a', 'b', 'c'],
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: '/domain', message: 'is required' },
        { path: '/years', message: 'must be <= 10' },
        { path: '/tier', message: 'must be one of "basic", "pro"' },
        expect.objectContaining({ path: '/colour', message: expect.stringMatching(/not a known setting/) }),
        { path: '/tags', message: 'must have at most 2 items' },
      ]),
    );
    expect(issues).toHaveLength(5);
  });

  it('checks string length and pattern', () => {
    expect(validateAgainstSchema(domainSchema, { domain: 'A!' })).toEqual([
      { path: '/domain', message: 'must be at least 3 characters' },
      { path: '/domain', message: 'must match ^[a-z0-9.-]+$' },
    ]);
  });
});

describe('--name', () => {
  it('goes into the name or domain property unless the configuration sets it', () => {
    expect(withName(domainSchema, {}, 'superseal.club')).toEqual({ domain: 'superseal.club' });
    expect(withName(domainSchema, { domain: 'x.com' }, 'superseal.club')).toEqual({ domain: 'x.com' });
    expect(withName({ properties: { name: {} } }, {}, 'cache')).toEqual({ name: 'cache' });
    expect(withName({ properties: {} }, {}, 'cache')).toEqual({});
  });
});
