import { describe, expect, it } from 'vitest';
import { batchWaiterModel, parkingFor, statusesNamedBy } from '../../waiters';
import { BATCH_PHASES } from '../../waiters/batch/describe-jobs';

const statuses = Object.keys(BATCH_PHASES);

describe('statusesNamedBy', () => {
  it('names the statuses of plain equalities, leaving out a stage that only waits to see its jobs', () => {
    expect(statusesNamedBy(batchWaiterModel, ['JobExists', 'JobRunning', 'JobComplete'], statuses)).toEqual([
      'RUNNING',
      'SUCCEEDED',
      'FAILED',
    ]);
    expect(statusesNamedBy(batchWaiterModel, ['JobComplete'], statuses)).toEqual(['SUCCEEDED', 'FAILED']);
  });

  it('gives up filtering (any change matters) for a comparison other than equality, or a stage that names no status', () => {
    const notRunnable = batchWaiterModel.withOverrides({
      JobRunning: {
        acceptors: [
          {
            state: 'success',
            matcher: 'path',
            argument: "length(jobs[?status != 'RUNNABLE']) == length(requestedJobIds)",
            expected: true,
          },
        ],
      },
    });
    expect(statusesNamedBy(notRunnable, ['JobRunning'], statuses)).toBeUndefined();
    const byAttempts = batchWaiterModel.withOverrides({
      JobRunning: {
        acceptors: [
          { state: 'success', matcher: 'path', argument: 'length(jobs[?attempts]) == `1`', expected: true },
        ],
      },
    });
    expect(statusesNamedBy(byAttempts, ['JobRunning', 'JobComplete'], statuses)).toBeUndefined();
  });
});

describe('parkingFor', () => {
  const deadline = new Date(Date.UTC(2026, 0, 1, 2)).toISOString();
  const now = Date.UTC(2026, 0, 1);
  const progress = (jobs: { jobId: string; phase?: 'queued' | 'running' | 'succeeded' }[]) => ({
    state: 'retry',
    stageIndex: 2,
    jobIds: jobs.map((job) => job.jobId),
    jobs,
    deadline,
  });

  it('parks on the unfinished jobs once all are seen, until the backstop or the deadline', () => {
    expect(
      parkingFor(
        progress([
          { jobId: 'a', phase: 'running' },
          { jobId: 'b', phase: 'succeeded' },
        ]),
        now,
        600,
      ),
    ).toEqual({
      parkSeconds: 600,
      parkedOn: { stageIndex: 2, jobIds: ['a'] },
    });
    expect(parkingFor(progress([{ jobId: 'a', phase: 'running' }]), now, 86_400)?.parkSeconds).toBe(7_200);
  });

  it('does not park with a job unseen, at or past the deadline, or on anything but retry', () => {
    expect(parkingFor(progress([{ jobId: 'a' }]), now, 600)).toBeUndefined();
    expect(
      parkingFor(progress([{ jobId: 'a', phase: 'running' }]), Date.parse(deadline), 600),
    ).toBeUndefined();
    expect(
      parkingFor({ ...progress([{ jobId: 'a', phase: 'running' }]), state: 'success' }, now, 600),
    ).toBeUndefined();
  });
});
