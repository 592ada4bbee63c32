import { randomBytes } from 'node:crypto';

/** A prefixed random id (`prj_…`, `apr_…`): 128 bits, base62-free hex so that ids are URL- and shell-safe. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(16).toString('hex')}`;
}
