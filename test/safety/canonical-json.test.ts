import { describe, expect, it } from 'vitest';
import { canonicalHash, canonicalJson } from '../../src/core/canonical-json.js';

describe('canonicalJson (RFC 8785 style)', () => {
  it('matches the RFC 8785 §3.2.2 example byte for byte', () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    );
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts keys by UTF-16 code units, recursively, as RFC 8785 §3.2.3 prescribes', () => {
    const input = { '\u20ac': 1, '\r': 2, '\ufb33': 3, '1': 4, '\ud83d\ude00': 5, '\u0080': 6, '\u00f6': 7 };
    // Object.keys would list the integer-like "1" first, so read the order off the text itself.
    const order = [...canonicalJson(input).matchAll(/"([^"]*)":(\d)/g)].map((m) => Number(m[2]));
    expect(order).toEqual([2, 4, 6, 7, 1, 5, 3]);
    expect(canonicalJson({ b: { d: 1, c: [{ z: 1, y: 2 }] }, a: 0 })).toBe(
      '{"a":0,"b":{"c":[{"y":2,"z":1}],"d":1}}',
    );
  });

  it('hashes equal values equally whatever their key order, and different values differently', () => {
    expect(canonicalHash({ a: 1, b: [1, 2] })).toBe(canonicalHash({ b: [1, 2], a: 1 }));
    expect(canonicalHash({ a: 1, b: [1, 2] })).not.toBe(canonicalHash({ a: 1, b: [2, 1] }));
    expect(canonicalHash('x')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('omits undefined properties, uses toJSON, and writes -0 as 0', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(canonicalJson({ at: new Date(0) })).toBe('{"at":"1970-01-01T00:00:00.000Z"}');
    expect(canonicalJson(-0)).toBe('0');
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', [1, Number.POSITIVE_INFINITY]],
    ['bigint', { n: 1n }],
    ['function', { f: () => 1 }],
    ['undefined in an array', [1, undefined]],
    ['a lone surrogate', { s: '\ud800' }],
  ])('refuses %s instead of changing the value', (_name, value) => {
    expect(() => canonicalJson(value)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
