import { randomBytes } from 'node:crypto';

/** A prefixed random id (`spt_…`, `cap_…`, `run_…`): 128 bits of hex, URL- and shell-safe. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(16).toString('hex')}`;
}
