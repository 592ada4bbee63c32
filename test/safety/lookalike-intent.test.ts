import { describe, expect, it } from 'vitest';
import {
  characterSkeleton,
  compareIntent,
  damerauLevenshtein,
  isMixedScript,
  lookalikeError,
  skeleton,
} from '../../src/core/lookalike/index.js';

const kinds = (asked: string, offered: string, history: string[] = []) =>
  compareIntent(asked, offered, history).reasons.map((reason) => `${reason.against}:${reason.kind}`);

describe('compareIntent', () => {
  it('lets the exact name through without a gate, whatever its spelling', () => {
    const check = compareIntent('SuperSeal.Club.', 'superseal.club', ['superseal.club', 'other.dev']);
    expect(check.gateRequired).toBe(false);
    expect(check.reasons).toEqual([]);
    expect(compareIntent('xn--mnchen-3ya.de', 'münchen.de').gateRequired).toBe(false);
  });

  it('gates superseal.club asked / superseal.cc offered and shows both names side by side', () => {
    const check = compareIntent('superseal.club', 'superseal.cc');
    expect(check.gateRequired).toBe(true);
    expect(check.reasons).toEqual([
      expect.objectContaining({
        kind: 'other-tld',
        against: 'offered',
        asked: { unicode: 'superseal.club', ascii: 'superseal.club' },
        other: { unicode: 'superseal.cc', ascii: 'superseal.cc' },
      }),
    ]);
    expect(check.reasons[0]!.message).toContain('superseal.club');
    expect(check.reasons[0]!.message).toContain('superseal.cc');
  });

  it('gates any other difference, look-alike or not', () => {
    expect(kinds('superseal.club', 'hyperdrive.io')).toEqual(['offered:different']);
    expect(kinds('superseal.club', 'www.superseal.club')).toEqual(['offered:different']);
  });

  it('gates a name that looks like one in the project history even when the offer matches', () => {
    expect(kinds('superseal.cc', 'superseal.cc', ['superseal.club'])).toEqual(['history:other-tld']);
    expect(kinds('supersael.club', 'supersael.club', ['superseal.club'])).toEqual(['history:edit-distance']);
    expect(kinds('get-superseal.club', 'get-superseal.club', ['superseal.club'])).toEqual([
      'history:prefix-variant',
    ]);
    expect(kinds('superseal-hq.club', 'superseal-hq.club', ['superseal.club'])).toEqual([
      'history:suffix-variant',
    ]);
    expect(kinds('superseals.club', 'superseals.club', ['superseal.club'])).toEqual([
      'history:plural-variant',
    ]);
    expect(kinds('super-seal.club', 'super-seal.club', ['superseal.club'])).toEqual([
      'history:hyphen-variant',
    ]);
    expect(kinds('supersea1.club', 'supersea1.club', ['superseal.club'])).toEqual(['history:confusable']);
  });

  it('does not gate a genuinely different name, nor trip on garbage in the history', () => {
    const check = compareIntent('hyperdrive.io', 'hyperdrive.io', ['superseal.club', 'not a domain', '']);
    expect(check.gateRequired).toBe(false);
  });

  it('reports the edit distance and compares punycode forms in Unicode', () => {
    const check = compareIntent('superseal.club', 'superseal.club', ['supreseel.club']);
    expect(check.reasons[0]).toMatchObject({ kind: 'edit-distance', distance: 2 });
    const homoglyph = compareIntent('xn--supersal-h8g.club', 'xn--supersal-h8g.club', ['superseal.club']);
    expect(homoglyph.asked.unicode).toBe('supersеal.club');
    expect(homoglyph.reasons.map((reason) => reason.kind)).toEqual(['confusable', 'mixed-script']);
  });

  it('flags mixed scripts and whole-script confusables even with no history', () => {
    expect(kinds('pаypal.com', 'pаypal.com')).toEqual(['self:mixed-script']);
    const cyrillic = compareIntent('аррӏе.com', 'аррӏе.com');
    expect(cyrillic.reasons).toEqual([
      expect.objectContaining({
        kind: 'whole-script-confusable',
        other: { unicode: 'apple.com', ascii: 'apple.com' },
      }),
    ]);
    expect(compareIntent('日本語.jp', '日本語.jp').gateRequired).toBe(false);
    expect(compareIntent('почта.рф', 'почта.рф').gateRequired).toBe(false);
  });

  it('refuses hostile input on either side before comparing anything', () => {
    expect(() => compareIntent('superseal.club', 'superseal.club\u0000')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => compareIntent('', 'superseal.club')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('builds a LOOKALIKE_DOMAIN error (exit 4) carrying both names and the reasons', () => {
    const error = lookalikeError(compareIntent('superseal.club', 'superseal.cc'));
    expect(error.code).toBe('LOOKALIKE_DOMAIN');
    expect(error.exitCode).toBe(4);
    expect(error.details).toMatchObject({
      asked: { ascii: 'superseal.club' },
      offered: { ascii: 'superseal.cc' },
      reasons: [expect.objectContaining({ kind: 'other-tld' })],
    });
  });
});

describe('building blocks', () => {
  it('computes unrestricted Damerau–Levenshtein distances', () => {
    expect(damerauLevenshtein('superseal', 'superseal')).toBe(0);
    expect(damerauLevenshtein('superseal', 'supersael')).toBe(1);
    expect(damerauLevenshtein('ca', 'abc')).toBe(2); // OSA would say 3
    expect(damerauLevenshtein('', 'abc')).toBe(3);
    expect(damerauLevenshtein('kitten', 'sitting')).toBe(3);
    expect(damerauLevenshtein('😀a', 'a😀')).toBe(1);
  });

  it('maps homoglyphs, accents, digits and letter pairs onto one skeleton', () => {
    expect(characterSkeleton('аррӏе')).toBe('apple');
    expect(characterSkeleton('gοοgle')).toBe('google');
    expect(characterSkeleton('supérseal')).toBe('superseal');
    expect(skeleton('rnodern')).toBe(skeleton('modern'));
    expect(skeleton('vvikipedia')).toBe(skeleton('wikipedia'));
    expect(skeleton('g00gle')).toBe(skeleton('google'));
    expect(skeleton('paypa1')).toBe(skeleton('paypal'));
    expect(skeleton('superseal')).not.toBe(skeleton('hyperdrive'));
  });

  it('tells mixed scripts from the allowed CJK mixes', () => {
    expect(isMixedScript('pаypal')).toBe(true);
    expect(isMixedScript('paypal')).toBe(false);
    expect(isMixedScript('аррӏе')).toBe(false);
    expect(isMixedScript('sonyミュージック')).toBe(false);
    expect(isMixedScript('gοogle')).toBe(true);
  });
});
