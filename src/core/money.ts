import { ProjectsError } from '../protocol/errors.js';

/**
 * Parses a price typed by a human or an agent in dollars (`25`, `25.5`, `$25.50`) into minor units.
 * Money is integer minor units everywhere else, so this is the one place decimals are read.
 */
export function parseUsd(input: string, flag: string): number {
  const match = /^\$?(\d{1,7})(?:\.(\d{1,2}))?$/.exec(input.trim());
  if (!match) {
    throw new ProjectsError(
      'INVALID_ARGUMENT',
      `${flag} expects an amount in USD such as 25 or 25.50, got '${input}'`,
    );
  }
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

/** A price kept as two nullable columns (amount, currency), as one value: null unless both are set. */
export function moneyOrNull(
  amount: number | null,
  currency: string | null,
): { amount: number; currency: string } | null {
  return amount === null || currency === null ? null : { amount, currency };
}

/** `$12.34` for usd, `12.34 eur` otherwise. For humans; machine fields keep minor units. */
export function formatMoney(amount: number, currency: string): string {
  const major = (amount / 100).toFixed(2);
  return currency.toLowerCase() === 'usd' ? `$${major}` : `${major} ${currency}`;
}
