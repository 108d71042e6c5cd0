import type { WaitState } from '../../waiters';

/**
 * A wait's state between polls, as the registry tests need one: waiting in JobRunning for job-1, RUNNABLE,
 * started 2026-12-02T06:00Z with a day to go, after one poll of its first execution. `overrides` replace fields.
 */
export function waitState(overrides: Partial<WaitState> = {}): WaitState {
  return {
    state: 'retry',
    status: 'RUNNING',
    stageIndex: 1,
    attempt: 1,
    delaySeconds: 5,
    startedAt: '2026-12-02T06:00:00.000Z',
    deadline: '2026-12-03T06:00:00.000Z',
    jobIds: ['job-1'],
    seenJobIds: ['job-1'],
    stages: [],
    jobs: [{ jobId: 'job-1', status: 'RUNNABLE', phase: 'queued' }],
    timedOut: false,
    waitedSeconds: 10,
    throttledCalls: 0,
    transientErrors: 0,
    consecutiveTransientErrors: 0,
    segmentPolls: 1,
    segments: 1,
    target: { jobIds: ['job-1'] },
    failOnTimeout: true,
    overrides: {},
    ...overrides,
  };
}
