// The shapes of this system's secrets, apart from their generation (secrets.ts) so that the CLI's
// redaction layer, loaded by every command, does not load node:crypto with it.

/**
 * Every secret this system issues starts with one of these prefixes, so that the redaction layer can
 * recognise a secret it was never told about (defence in depth on top of registering known values).
 *   pat_  orchestrator access token       prt_  orchestrator refresh token
 *   ptok_ orchestrator API token (CI)     dvc_  device code
 *   pvat_ provider account token          pvrt_ provider refresh token
 *   dtok_ deploy token                    rsk_  resource secret key (e.g. data store credential)
 *   whsec_ signing secret                 pcode_ authorization code
 */
export const SECRET_PREFIXES = [
  'pat',
  'prt',
  'ptok',
  'dvc',
  'pvat',
  'pvrt',
  'dtok',
  'rsk',
  'whsec',
  'pcode',
] as const;
export type SecretPrefix = (typeof SECRET_PREFIXES)[number];

/** Matches any value shaped like a secret issued by this system. */
export const SECRET_SHAPE = new RegExp(`\\b(?:${SECRET_PREFIXES.join('|')})_[A-Za-z0-9]{16,}`, 'g');

/** `scheme://user:password@host`: credentials embedded in a URL. */
const URL_USERINFO = /[a-z][a-z0-9+.-]*:\/\/[^/?#\s]*@/i;
/** A query parameter or assignment that carries a credential (`?token=…`, `password=…`). */
const CREDENTIAL_PARAMETER =
  /(?:^|[?&;\s])(?:access_token|api_?key|auth|credentials?|key|passw(?:or)?d|pwd|secret|sig(?:nature)?|token)=/i;
/** Bearer and Basic credentials, JSON Web Tokens, PEM private keys. */
const CREDENTIAL_SYNTAX = /\b(?:Bearer|Basic)\s+\S{8,}|\beyJ[\w-]+\.[\w-]+\.|-----BEGIN [A-Z ]*PRIVATE KEY/;
/** Runs of URL-safe token characters; judged by {@link isRandomLooking}. */
const TOKEN_RUN = /[A-Za-z0-9_-]{24,}/g;
/**
 * Runs of standard base64 (`+` and `/` split the runs above), as in many cloud secrets. Not looked for in
 * URLs, whose paths are such runs of words; a secret in a URL path is a URL-safe run, found above.
 */
const BASE64_RUN = /[A-Za-z0-9+/]{32,}/g;
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
/** A long hexadecimal run: a hash-sized token (ids of 12 or 16 random bytes are shorter). */
const LONG_HEX = /[0-9a-f]{40,}|[0-9A-F]{40,}/;

/** Hexadecimal ids and UUIDs have at most 16 distinct letters and digits; random tokens have many more. */
function manyDistinct(text: string): boolean {
  return new Set(text.replace(/[^A-Za-z0-9]/g, '')).size >= 17;
}

/**
 * Random material rather than words or ids: after a type prefix (`res_`, `edt_`), many distinct letters and
 * digits with a digit or a capital among them (hyphenated lower-case words have neither).
 */
function isRandomLooking(run: string): boolean {
  const body = run.replace(/^(?:[a-z]+_)+/, '');
  return body.length >= 20 && manyDistinct(body) && /[0-9A-Z]/.test(body);
}

/** Base64 runs also match paths, so they need capitals, small letters and digits all together. */
function isRandomBase64(run: string): boolean {
  return manyDistinct(run) && /[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run);
}

/**
 * Whether a value looks like a credential of any issuer, not only this system's: a token of ours, a URL
 * with a password in it, a bearer credential, a JWT, a private key, or a long random-looking string. A
 * provider may say an access-configuration value is public (an id, a hostname, a URL); a value of this
 * shape is treated as secret regardless, and the conformance suite reports the provider (S7).
 */
export function looksLikeCredential(value: string): boolean {
  if (new RegExp(SECRET_SHAPE.source).test(value)) return true;
  if (URL_USERINFO.test(value) || CREDENTIAL_PARAMETER.test(value) || CREDENTIAL_SYNTAX.test(value))
    return true;
  if (LONG_HEX.test(value)) return true;
  return (
    [...value.matchAll(TOKEN_RUN)].some(([run]) => isRandomLooking(run)) ||
    (!URL_SCHEME.test(value) && [...value.matchAll(BASE64_RUN)].some(([run]) => isRandomBase64(run)))
  );
}

/**
 * The values that may be shown: those named public (by the provider, or by the orchestrator passing its
 * marking on) that exist and do not look like a credential. Everything else stays secret.
 */
export function publicValues(
  values: Readonly<Record<string, string>>,
  publicNames: readonly string[] = [],
): Record<string, string> {
  return Object.fromEntries(
    publicNames.flatMap((name) => {
      const value = Object.hasOwn(values, name) ? values[name] : undefined;
      return typeof value === 'string' && !looksLikeCredential(value) ? [[name, value]] : [];
    }),
  );
}
