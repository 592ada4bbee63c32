import { SECRET_SHAPE } from '../protocol/secret-shape.js';

export const REDACTED = '[redacted]';

/** Shortest value treated as a secret: shorter strings would redact ordinary words. */
const MIN_SECRET_LENGTH = 6;

/** A run of 13–19 digits, optionally grouped by spaces or dashes, as card numbers are typed. */
const CARD_CANDIDATE = /\b\d(?:[ -]?\d){12,18}\b/g;

function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/**
 * Replaces secrets by `[redacted]` in everything the CLI prints. Known values are registered as they are
 * read (tokens, passwords, credentials); on top of that, anything shaped like a token this system issues,
 * a bearer credential or a Luhn-valid card number is redacted even if nobody registered it.
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  register(value: string | undefined | null): void {
    if (value && value.length >= MIN_SECRET_LENGTH) this.secrets.add(value);
  }

  redact(text: string, allowed: ReadonlySet<string> = new Set()): string {
    let out = text;
    // Longest first, so a secret containing another is replaced whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) {
      if (!allowed.has(secret)) out = out.split(secret).join(REDACTED);
    }
    out = out.replace(SECRET_SHAPE, (match) => (allowed.has(match) ? match : REDACTED));
    out = out.replace(
      /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
      (_m, scheme: string) => `${scheme} ${REDACTED}`,
    );
    return out.replace(CARD_CANDIDATE, (match) => (passesLuhn(match.replace(/\D/g, '')) ? REDACTED : match));
  }

  /** Redacts every string inside a JSON-like value (keys included), returning a copy. */
  redactDeep<T>(value: T, allowed: ReadonlySet<string> = new Set()): T {
    if (typeof value === 'string') return this.redact(value, allowed) as T;
    if (Array.isArray(value)) return value.map((item) => this.redactDeep(item, allowed)) as T;
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [
          this.redact(key, allowed),
          this.redactDeep(item, allowed),
        ]),
      ) as T;
    }
    return value;
  }
}
