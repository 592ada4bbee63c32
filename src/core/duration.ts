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

/** A lifetime in seconds as the largest whole unit a human reads easily: `30 days`, `12 hours`, `90 minutes`. */
export function describeDuration(seconds: number): string {
  const units = [
    ['year', UNIT_SECONDS.y],
    ['week', UNIT_SECONDS.w],
    ['day', UNIT_SECONDS.d],
    ['hour', UNIT_SECONDS.h],
    ['minute', UNIT_SECONDS.m],
  ] as const;
  const [unit, size] = units.find(([, size]) => seconds % size === 0) ?? ['second', 1];
  const count = seconds / size;
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}
