import { describe, expect, it } from 'vitest';
import { progressLine } from '../../../bin/cli/account/progress-line';
import type { ExecutionReport } from '../../../bin/cli/account/report';
import { NOW } from './harness';

/** A wait in JobComplete after two hand-overs, as `start --wait` sees it each round. */
function report(fields: Partial<ExecutionReport> = {}): ExecutionReport {
  return {
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:M:x',
    name: 'job-4c3bd56b-9d0e-4f1a-8b2c-0123456789ab',
    stateMachineArn: null,
    status: 'RUNNING',
    executionStatus: 'RUNNING',
    stage: 'JobComplete',
    attempt: 14,
    stages: [],
    jobs: [{ jobId: 'j1', status: 'RUNNING' }],
    waitedSeconds: 3_600,
    startDate: null,
    stopDate: null,
    deadline: new Date(NOW + 3_600_000).toISOString(),
    error: null,
    reason: null,
    handOvers: 2,
    segment: null,
    stateSource: 'segment',
    segmentNotRead: null,
    ...fields,
  } as ExecutionReport;
}

const FULL =
  'job-4c3bd56b-9d0e-4f1a-8b2c-0123456789ab: RUNNING, JobComplete attempt 14 (hand-over 2), job RUNNING, waited 1h 0m 0s, deadline in 1h 0m 0s';

describe('progressLine', () => {
  it('says everything without a width (plain lines for logs)', () => {
    expect(progressLine(report(), NOW)).toBe(FULL);
  });

  it('drops the least useful parts first as the terminal narrows, and never reaches its last column', () => {
    const widths = [140, 135, 120, 80, 70, 40, 30, 20, 2, 1];
    const lines = widths.map((width) => progressLine(report(), NOW, width));
    expect(lines).toEqual([
      FULL,
      // The status: always RUNNING while a wait is followed.
      'job-4c3bd56b-9d0e-4f1a-8b2c-0123456789ab: JobComplete attempt 14 (hand-over 2), job RUNNING, waited 1h 0m 0s, deadline in 1h 0m 0s',
      // The name: the "started ..." line above says it.
      'JobComplete attempt 14 (hand-over 2), job RUNNING, waited 1h 0m 0s, deadline in 1h 0m 0s',
      'JobComplete attempt 14 (hand-over 2), job RUNNING, deadline in 1h 0m 0s',
      'JobComplete attempt 14, job RUNNING, deadline in 1h 0m 0s',
      'JobComplete attempt 14, job RUNNING',
      'JobComplete attempt 14, job …',
      'JobComplete attemp…',
      '…',
      '',
    ]);
    lines.forEach((line, index) => {
      expect(line.length).toBeLessThan(widths[index] as number);
    });
  });

  it("counts many jobs' statuses rather than cutting them off", () => {
    const jobs = [
      ...Array.from({ length: 98 }, (_, index) => ({ jobId: `j${index}`, status: 'RUNNING' })),
      { jobId: 'j98', status: 'SUCCEEDED' },
      { jobId: 'j99' },
    ];
    expect(progressLine(report({ jobs }), NOW, 80)).toBe(
      'JobComplete attempt 14, jobs 98 RUNNING, 1 SUCCEEDED, 1 ?, deadline in 1h 0m 0s',
    );
    // Plain lines say each one, as before.
    expect(progressLine(report({ jobs }), NOW)).toContain(
      `jobs ${'RUNNING, '.repeat(98)}SUCCEEDED, ?, waited`,
    );
  });

  it('says when no poll has been made yet, or no job is visible', () => {
    expect(
      progressLine(report({ stage: null, attempt: null, jobs: [], deadline: null, handOvers: null }), NOW),
    ).toBe(
      'job-4c3bd56b-9d0e-4f1a-8b2c-0123456789ab: RUNNING, starting, job not visible yet, waited 1h 0m 0s',
    );
  });
});
