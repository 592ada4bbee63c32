import { formatMoney } from '../core/money.js';
import type { Pricing } from '../protocol/provider.js';

export type Billing = 'free' | 'one_time' | 'recurring';

/** `$12.00 one-time`, `$5.00 / month`, `free`, `one-time, priced by quote`. */
export function describePrice(
  amount: number | null,
  currency: string,
  billing: Billing,
  interval: string | null,
): string {
  if (billing === 'free') return 'free';
  if (amount === null) return `${billing === 'one_time' ? 'one-time' : 'recurring'}, priced by quote`;
  const price = formatMoney(amount, currency);
  if (billing === 'one_time') return `${price} one-time`;
  return interval ? `${price} / ${interval}` : `${price}, recurring`;
}

/** A catalog entry's default price, as a table cell. */
export function describePricing(pricing: Pricing): string {
  if (pricing.type === 'free') return 'free';
  const price = describePrice(pricing.amount, pricing.currency, pricing.billing, pricing.interval);
  return pricing.refundable ? price : `${price}, non-refundable`;
}
