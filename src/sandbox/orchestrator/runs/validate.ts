import type { z } from 'zod';
import { ProjectsError } from '../../../protocol/errors.js';

/** Parses a request part with a protocol schema; a mismatch is INVALID_ARGUMENT naming the fields. */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  throw new ProjectsError('INVALID_ARGUMENT', `invalid ${what}: ${describe(issues)}`, {
    httpStatus: 400,
    details: { issues },
  });
}

function describe(issues: { path: string; message: string }[]): string {
  return issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; ');
}
