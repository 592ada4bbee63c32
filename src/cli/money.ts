import { ProjectsError } from '../protocol/errors.js';
import type { Pricing } from '../protocol/provider.js';

/** `$12.34` for usd, `12.34 EUR` otherwise. For people only: machine fields keep minor units. */
export function formatMoney(amount: number, currency: string): string {
  const major = (amount / 100).toFixed(2);
  return currency === 'usd' ? `$${major}` : `${major} ${currency.toUpperCase()}`;
}

/** `--max-price 20` or `20.5` (US dollars) in cents; anything else is a usage error. */
export function parseUsd(text: string, flag: string): number {
  const match = /^\$?(\d{1,7})(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!match) {
    throw new ProjectsError('INVALID_ARGUMENT', `${flag} expects an amount in US dollars, e.g. 20 or 12.50`, {
      details: { flag, value: text },
    });
  }
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

export type Billing = 'free' | 'one_time' | 'recurring';

/** `$12.00 one-time`, `$5.00 / month`, `free`. */
export function describePrice(
  amount: number | null,
  currency: string,
  billing: Billing,
  interval: string | null,
): string {
  if (billing === 'free') return 'free';
  const price = amount === null ? 'priced by quote' : formatMoney(amount, currency);
  return billing === 'recurring' ? `${price} / ${interval ?? 'period'}` : `${price} one-time`;
}

/** A catalog entry's default price, as a table cell. */
export function describePricing(pricing: Pricing): string {
  if (pricing.type === 'free') return 'free';
  const price = describePrice(pricing.amount, pricing.currency, pricing.billing, pricing.interval);
  return pricing.refundable ? price : `${price}, non-refundable`;
}
