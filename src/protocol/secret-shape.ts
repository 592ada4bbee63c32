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
