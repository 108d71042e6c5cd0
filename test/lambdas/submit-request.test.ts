import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../lambdas/invalid-input';
import { parseWaitRequest } from '../../lambdas/wait-request';

const STAGES = ['JobExists', 'JobRunning', 'JobComplete'];
const SUBMIT = { jobQueue: 'etl-queue' };

describe('a request to a waiter that submits', () => {
  it('defaults the queue to the waiter’s own', () => {
    expect(parseWaitRequest({ jobName: 'etl-1' }, STAGES, 86_400, SUBMIT).target).toEqual({
      jobName: 'etl-1',
      jobQueue: 'etl-queue',
      newest: false,
    });
  });

  it('refuses another queue, where the lookup would never find the job it submits', () => {
    let caught: unknown;
    try {
      parseWaitRequest({ jobName: 'etl-1', jobQueue: 'other-queue' }, STAGES, 86_400, SUBMIT);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidInputError);
    expect((caught as InvalidInputError).field).toBe('jobQueue');
    expect((caught as InvalidInputError).message).toMatch(/the waiter's own queue etl-queue/);
  });
});
