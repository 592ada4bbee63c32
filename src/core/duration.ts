import { ProjectsError } from '../protocol/errors.js';

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 } as const;

/** Parses a lifetime such as `90m`, `12h`, `30d`, `1y` into seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)\s*([smhdwy])$/.exec(text.trim());
  const amount = Number(match?.[1]);
  if (!match || !(amount > 0)) {
    throw new ProjectsError('INVALID_ARGUMENT', `not a duration: ${text} (use e.g. 12h, 30d, 1y)`);
  }
  return amount * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
}
