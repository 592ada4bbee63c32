import { describe, expect, it } from 'vitest';
import { cardBrand, luhnValid, tokenizeCard } from '../../src/sandbox/orchestrator/identity/billing.js';
import { hashPassword, verifyPassword } from '../../src/sandbox/orchestrator/identity/crypto.js';
import {
  isLoopbackRedirect,
  newUserCode,
  normalizeUserCode,
  pkceMatches,
} from '../../src/sandbox/orchestrator/identity/oauth-requests.js';
import { safeNext } from '../../src/sandbox/orchestrator/identity/web-session.js';
import { escapeHtml, html } from '../../src/sandbox/orchestrator/web/html.js';

describe('card validation', () => {
  it('checks Luhn and recognises brands', () => {
    expect(luhnValid('4242424242424242')).toBe(true);
    expect(luhnValid('4242424242424241')).toBe(false);
    expect(
      ['4242424242424242', '5555555555554444', '2223003122003222', '378282246310005', '6011111111111117'].map(
        cardBrand,
      ),
    ).toEqual(['visa', 'mastercard', 'mastercard', 'amex', 'discover']);
  });

  it('keeps only brand, last 4 and expiry', () => {
    const now = Date.UTC(2026, 11, 4);
    expect(tokenizeCard({ number: '4242-4242-4242-4242', expiry: '12/26', cvc: '123' }, now)).toEqual({
      method: { brand: 'visa', last4: '4242', expMonth: 12, expYear: 2026, declines: false },
    });
    expect(tokenizeCard({ number: '4242424242424242', expiry: '11/26', cvc: '123' }, now)).toEqual({
      error: 'That card has expired.',
    });
    expect(tokenizeCard({ number: '4242424242424242', expiry: '13/30', cvc: '123' }, now)).toHaveProperty(
      'error',
    );
  });
});

describe('OAuth request checks', () => {
  it('accepts only loopback http redirect URIs (RFC 8252)', () => {
    expect(isLoopbackRedirect('http://127.0.0.1:49152/callback')).toBe(true);
    expect(isLoopbackRedirect('http://[::1]:8080/cb')).toBe(true);
    expect(isLoopbackRedirect('http://localhost/cb')).toBe(true);
    for (const bad of [
      'https://evil.example/cb',
      'http://127.0.0.1.evil.example/',
      'http://user@127.0.0.1/',
      'javascript:alert(1)',
    ]) {
      expect(isLoopbackRedirect(bad), bad).toBe(false);
    }
  });

  it('matches a PKCE S256 verifier (RFC 7636 appendix B)', () => {
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    expect(pkceMatches(verifier, 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')).toBe(true);
    expect(pkceMatches(verifier, 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN')).toBe(false);
    expect(pkceMatches('short', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')).toBe(false);
  });

  it('normalises what a human types as a user code', () => {
    const code = newUserCode();
    expect(code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(normalizeUserCode(code.toLowerCase().replace('-', ' '))).toBe(code);
    expect(normalizeUserCode('ABCD-EFGH')).toBeUndefined();
  });
});

describe('web helpers', () => {
  it('escapes interpolations and never redirects off-site', () => {
    expect(html`<p>${'<script>"&\''}</p>`.value).toBe('<p>&lt;script&gt;&quot;&amp;&#39;</p>');
    expect(escapeHtml('a&b')).toBe('a&amp;b');
    expect(['/billing', '//evil.example', '/\\evil.example', 'https://evil.example'].map(safeNext)).toEqual([
      '/billing',
      '/',
      '/',
      '/',
    ]);
  });

  it('hashes passwords with a salt and verifies them', async () => {
    const first = await hashPassword('correct horse');
    expect(first).toMatch(/^scrypt\$/);
    expect(first).not.toBe(await hashPassword('correct horse'));
    expect(await verifyPassword('correct horse', first)).toBe(true);
    expect(await verifyPassword('wrong horse', first)).toBe(false);
  });
});
