import { describe, expect, it } from 'vitest';
import { normalizeDomain } from '../../src/core/lookalike/index.js';

const invalid = expect.objectContaining({ code: 'INVALID_ARGUMENT' });

/** Three 63-character labels, one filler label and `.club`, `length` characters in all. */
function nameOfLength(length: number): string {
  const full = Array.from({ length: 3 }, () => 'a'.repeat(63)).join('.');
  return `${full}.${'b'.repeat(length - full.length - '..club'.length)}.club`;
}

describe('normalizeDomain', () => {
  it('folds case and the trailing dot of the fully-qualified form', () => {
    expect(normalizeDomain('SuperSeal.CLUB.')).toMatchObject({
      ascii: 'superseal.club',
      unicode: 'superseal.club',
      registrable: 'superseal.club',
      label: 'superseal',
      suffix: 'club',
      subdomain: '',
      icann: true,
    });
  });

  it('maps Unicode and punycode forms of one name to the same A-label', () => {
    const fromUnicode = normalizeDomain('MÜNCHEN.de');
    const fromPunycode = normalizeDomain('xn--mnchen-3ya.de');
    expect(fromUnicode.ascii).toBe('xn--mnchen-3ya.de');
    expect(fromPunycode).toEqual(fromUnicode);
    expect(fromPunycode.unicode).toBe('münchen.de');
    expect(normalizeDomain('Ｅxample．com').ascii).toBe('example.com');
  });

  it('knows where the registrable name ends from the public suffix list', () => {
    expect(normalizeDomain('www.Superseal.co.uk')).toMatchObject({
      registrable: 'superseal.co.uk',
      label: 'superseal',
      suffix: 'co.uk',
      subdomain: 'www',
    });
    expect(normalizeDomain('superseal.notarealtld').icann).toBe(false);
  });

  it.each([
    ['an empty name', ''],
    ['a lone dot', '.'],
    ['two trailing dots', 'superseal.club..'],
    ['an empty label', 'superseal..club'],
    ['a leading dot', '.superseal.club'],
    ['a single label', 'localhost'],
    ['a public suffix', 'co.uk'],
    ['an IPv4 address', '192.168.0.1'],
    ['an all-numeric TLD', 'superseal.123'],
    ['a leading hyphen', '-superseal.club'],
    ['a trailing hyphen', 'superseal-.club'],
    ['"--" in positions 3–4 without xn--', 'ab--superseal.club'],
    ['an invalid punycode label', 'xn--abc.club'],
    ['an invalid punycode label (junk)', 'xn--.club'],
    ['a 64-character label', `${'a'.repeat(64)}.club`],
    ['a 254-character name', nameOfLength(254)],
    ['a megabyte of input', `${'a'.repeat(1_000_000)}.club`],
    ['a NUL byte', 'super\u0000seal.club'],
    ['an escape sequence', 'superseal.club\u001b[2J'],
    ['a newline', 'superseal.club\nevil.com'],
    ['a space', 'super seal.club'],
    ['a soft hyphen IDNA would silently drop', 'super\u00adseal.club'],
    ['a zero-width joiner', 'super\u200dseal.club'],
    ['a right-to-left override', 'superseal\u202e.club'],
    ['a path', 'superseal.club/evil'],
    ['a percent-encoded dot', 'superseal%2eclub'],
    ['user info', 'user@superseal.club'],
    ['a port', 'superseal.club:443'],
    ['an underscore', 'super_seal.club'],
    ['a URL', 'https://superseal.club'],
  ])('refuses %s with INVALID_ARGUMENT', (_what, name) => {
    expect(() => normalizeDomain(name)).toThrow(invalid);
  });

  it('accepts the longest legal name (253 characters, 63-character labels)', () => {
    const name = nameOfLength(253);
    expect(name.length).toBe(253);
    expect(normalizeDomain(name).ascii).toBe(name);
    expect(normalizeDomain(`${name}.`).ascii).toBe(name);
  });

  it('refuses non-strings', () => {
    expect(() => normalizeDomain(undefined)).toThrow(invalid);
    expect(() => normalizeDomain(42)).toThrow(invalid);
  });

  it('keeps control characters and huge input out of the error message', () => {
    try {
      normalizeDomain(`evil\u001b[31m${'x'.repeat(500)}.club`);
      expect.unreachable();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).not.toContain('\u001b');
      expect(message).toContain('\\u001b');
      expect(message.length).toBeLessThan(200);
    }
  });
});
