import { domainToASCII, domainToUnicode } from 'node:url';
import { parse } from 'tldts';
import { ProjectsError } from '../../protocol/errors.js';

/**
 * Domain-name normalization for exact-intent checks (DESIGN.md S1). The URL standard's IDNA
 * processing (`node:url`) folds case, width and compatibility forms and turns Unicode labels into
 * punycode; the public suffix list (tldts, ICANN section) says where the registrable name ends.
 * Everything that is not plainly a domain name is refused with INVALID_ARGUMENT rather than being
 * "repaired": `domainToASCII` alone would accept `a.com/x` as `a.com`, `a%2eb.com` as `a.b.com`
 * and silently drop soft hyphens — each a different purchase from the one the human typed.
 */
export interface NormalizedDomain {
  /** The A-label form, lower case, no trailing dot: what is registered and compared. */
  ascii: string;
  /** The same name with Unicode labels, for display. */
  unicode: string;
  /** Registrable domain (A-labels), e.g. `superseal.co.uk`. */
  registrable: string;
  /** The registrable label in Unicode, e.g. `superseal`. */
  label: string;
  /** The public suffix in Unicode, e.g. `co.uk`. */
  suffix: string;
  /** Labels left of the registrable domain in Unicode ('' when none). */
  subdomain: string;
  /** Whether the suffix is in the ICANN section of the public suffix list (unknown TLDs are not). */
  icann: boolean;
}

export const MAX_DOMAIN_LENGTH = 253;
export const MAX_LABEL_LENGTH = 63;
/** Longer raw input is refused before any processing; no domain needs anywhere near this much. */
const MAX_INPUT_LENGTH = 1024;
/** Letters, marks, digits, hyphen and the full stops UTS 46 maps to "." — nothing else. */
const ALLOWED_CHARACTERS = /^[\p{L}\p{M}\p{Nd}\-.\u3002\uff0e\uff61]+$/u;
const INVISIBLE_OR_CONTROL = /[\p{Cc}\p{Cf}\p{Zs}\p{Zl}\p{Zp}]/u;
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

export function normalizeDomain(input: unknown): NormalizedDomain {
  const raw = checkRawInput(input);
  const ascii = stripTrailingDot(toAscii(raw), raw);
  checkStructure(ascii, raw);
  return describe(ascii, raw);
}

function checkRawInput(input: unknown): string {
  if (typeof input !== 'string' || input.length === 0) throw invalid(String(input ?? ''), 'is empty');
  if (input.length > MAX_INPUT_LENGTH) throw invalid(input, `is longer than ${MAX_DOMAIN_LENGTH} characters`);
  if (INVISIBLE_OR_CONTROL.test(input)) {
    throw invalid(input, 'contains control, invisible or whitespace characters');
  }
  if (!ALLOWED_CHARACTERS.test(input)) {
    throw invalid(
      input,
      'contains characters not allowed in a domain name (only letters, digits, "-" and ".")',
    );
  }
  return input;
}

function toAscii(raw: string): string {
  const ascii = domainToASCII(raw);
  if (ascii === '') throw invalid(raw, 'is not a valid internationalized domain name');
  return ascii;
}

/** One trailing dot is the fully-qualified form of the same name; more is an empty label. */
function stripTrailingDot(ascii: string, raw: string): string {
  const bare = ascii.endsWith('.') ? ascii.slice(0, -1) : ascii;
  if (bare.length > MAX_DOMAIN_LENGTH) throw invalid(raw, `is longer than ${MAX_DOMAIN_LENGTH} characters`);
  return bare;
}

function checkStructure(ascii: string, raw: string): void {
  const labels = ascii.split('.');
  if (labels.length < 2) throw invalid(raw, 'needs at least a name and a top-level domain');
  for (const label of labels) checkLabel(label, raw);
  if (/^[0-9]+$/.test(labels.at(-1)!)) throw invalid(raw, 'has an all-numeric top-level domain');
}

function checkLabel(label: string, raw: string): void {
  if (label === '') throw invalid(raw, 'has an empty label (two dots in a row, or a leading dot)');
  if (label.length > MAX_LABEL_LENGTH)
    throw invalid(raw, `has a label longer than ${MAX_LABEL_LENGTH} characters`);
  if (label.startsWith('-') || label.endsWith('-'))
    throw invalid(raw, 'has a label starting or ending with "-"');
  if (!LDH_LABEL.test(label)) throw invalid(raw, 'contains characters not allowed in a domain name');
  // RFC 5891 §4.2.3.1: "--" in positions 3–4 is reserved for A-labels (xn--), which IDNA validated.
  if (label.slice(2, 4) === '--' && !label.startsWith('xn--')) {
    throw invalid(raw, `has a reserved label "${label}" ("--" in positions 3 and 4)`);
  }
}

function describe(ascii: string, raw: string): NormalizedDomain {
  const parsed = parse(ascii);
  if (parsed.isIp) throw invalid(raw, 'is an IP address, not a domain name');
  if (!parsed.domain || !parsed.publicSuffix || !parsed.domainWithoutSuffix) {
    throw invalid(raw, 'is a public suffix, not a registrable domain');
  }
  return {
    ascii,
    unicode: domainToUnicode(ascii),
    registrable: parsed.domain,
    label: domainToUnicode(parsed.domainWithoutSuffix),
    suffix: domainToUnicode(parsed.publicSuffix),
    subdomain: parsed.subdomain ? domainToUnicode(parsed.subdomain) : '',
    icann: parsed.isIcann === true,
  };
}

function invalid(raw: string, problem: string): ProjectsError {
  const shown = printable(raw);
  return new ProjectsError('INVALID_ARGUMENT', `domain name "${shown}" ${problem}`, {
    details: { name: shown, problem },
  });
}

/** Error messages must not carry control characters to a terminal, nor kilobytes of input. */
function printable(raw: string): string {
  const escaped = raw.replace(
    /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu,
    (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`,
  );
  return escaped.length > 80 ? `${escaped.slice(0, 77)}...` : escaped;
}
