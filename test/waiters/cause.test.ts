import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BATCH_PHASES,
  type BatchJobStatus,
  CAUSE_BUDGET,
  causeOf,
  type JobSummary,
  shrinkCause,
} from '../../waiters';

/** A job summary with a reason as long as Batch allows and a log stream name as long as CloudWatch's. */
function summary(index: number, status: string, reasonLength = 1_000): JobSummary {
  return {
    jobId: `d0000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    status,
    phase: BATCH_PHASES[status as BatchJobStatus],
    statusReason: 'r'.repeat(reasonLength),
    exitCode: status === 'FAILED' ? 1 : 0,
    logStreamName: `etl/default/${'l'.repeat(100)}`,
    attempts: 1,
  };
}

describe('the cause of a wait that ended badly', () => {
  it('is whole JSON within its budget (16,384 characters) for 100 jobs with long reasons, failed jobs first', () => {
    const jobs = Array.from({ length: 100 }, (_, index) =>
      summary(index, index === 99 ? 'FAILED' : 'SUCCEEDED'),
    );
    const cause = causeOf('JobComplete: job d0...99 failed', jobs);
    expect(cause.length).toBeLessThanOrEqual(CAUSE_BUDGET);
    const parsed = JSON.parse(cause);
    // The failed job is the one a person needs, though it came last.
    expect(parsed.jobs[jobs[99]?.jobId as string]).toMatchObject({ status: 'FAILED', exitCode: 1 });
    expect(Object.keys(parsed.jobs).length + parsed.omittedJobs).toBe(100);
    expect(parsed.omittedJobs).toBeGreaterThan(0);
  });

  it('keeps every job and no omittedJobs when they fit', () => {
    const parsed = JSON.parse(causeOf('one failed', [summary(1, 'FAILED', 20)]));
    expect(Object.keys(parsed.jobs)).toHaveLength(1);
    expect(parsed.omittedJobs).toBeUndefined();
  });

  it('stays parseable and bounded whatever the reasons and statuses', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40_000 }),
        fc.array(fc.tuple(fc.constantFrom('FAILED', 'SUCCEEDED', 'RUNNING'), fc.nat(3_000)), {
          maxLength: 100,
        }),
        (reason, specs) => {
          const cause = causeOf(
            reason,
            specs.map(([status, length], index) => summary(index, status, length)),
          );
          expect(cause.length).toBeLessThanOrEqual(CAUSE_BUDGET);
          const parsed = JSON.parse(cause);
          expect(Object.keys(parsed.jobs).length + (parsed.omittedJobs ?? 0)).toBe(specs.length);
        },
      ),
      { numRuns: 50, seed: 7 },
    );
  });

  it('shrinks, still whole JSON, keeping the failed jobs and counting the rest', () => {
    const jobs = Array.from({ length: 100 }, (_, index) =>
      summary(index, index === 50 ? 'FAILED' : 'SUCCEEDED'),
    );
    const cause = causeOf('job 50 failed', jobs);
    const small = shrinkCause(cause, 2_000);
    expect(small.length).toBeLessThanOrEqual(2_000);
    const parsed = JSON.parse(small);
    expect(parsed.reason).toBe('job 50 failed');
    expect(parsed.jobs[jobs[50]?.jobId as string]).toMatchObject({ status: 'FAILED' });
    expect(Object.keys(parsed.jobs).length + parsed.omittedJobs).toBe(100);
    expect(shrinkCause('plain text '.repeat(500), 300).length).toBeLessThanOrEqual(300);
    expect(shrinkCause('{"short":true}', 300)).toBe('{"short":true}');
  });
});
