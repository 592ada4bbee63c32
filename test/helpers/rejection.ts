import { ProjectsError } from '../../src/protocol/errors.js';

/** The ProjectsError a promise rejects with; fails the test if it resolves or throws something else. */
export async function rejection(promise: Promise<unknown>): Promise<ProjectsError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProjectsError) return error;
    throw error;
  }
  throw new Error('expected the promise to reject with a ProjectsError');
}
