import { describe, expect, it } from 'vitest';
import { BATCH_STAGES, registryViewChanged, registryViewOf, type WaitState } from '../../waiters';
import { waitState } from './wait-state-fixture';

const NOW = '2026-12-02T06:00:00.000Z';

const state = (overrides: Partial<WaitState> = {}): WaitState =>
  waitState({
    attempt: 3,
    startedAt: '2026-12-02T05:00:00.000Z',
    deadline: '2026-12-03T05:00:00.000Z',
    stages: [{ waiter: 'JobExists', attempts: 1, startedAt: '2026-12-02T05:00:00.000Z' }],
    waitedSeconds: 3600,
    segmentPolls: 7,
    ...overrides,
  });

describe('registryViewOf / registryViewChanged: the registry is written on changes, not on every poll', () => {
  it('reads the stage by name, the Tethys status, and orders writes across segments', () => {
    const view = registryViewOf(state(), BATCH_STAGES, NOW);
    expect(view).toMatchObject({
      status: 'RUNNING',
      tethysStatus: 'Submitted',
      stage: 'JobRunning',
      sequence: 100_007,
    });
    expect(view).not.toHaveProperty('completedAt');
    expect(view.submittedJobIds).toEqual([]);
    expect(
      registryViewOf(state({ submitted: { jobId: 'job-1' } }), BATCH_STAGES, NOW).submittedJobIds,
    ).toEqual(['job-1']);
    const later = registryViewOf(state({ segments: 2, segmentPolls: 1 }), BATCH_STAGES, NOW);
    expect(later.sequence).toBeGreaterThan(
      registryViewOf(state({ segmentPolls: 2_500 }), BATCH_STAGES, NOW).sequence,
    );
    expect(registryViewOf(state({ status: 'SUCCEEDED', state: 'success' }), BATCH_STAGES, NOW)).toMatchObject(
      {
        tethysStatus: 'Complete',
        completedAt: NOW,
      },
    );
  });

  it('ignores a poll that only counted an attempt, and sees a job’s new status, a new stage or a new end', () => {
    const before = registryViewOf(state(), BATCH_STAGES, NOW);
    expect(registryViewChanged(undefined, before)).toBe(true);
    expect(
      registryViewChanged(
        before,
        registryViewOf(state({ attempt: 4, segmentPolls: 8, waitedSeconds: 3605 }), BATCH_STAGES, NOW),
      ),
    ).toBe(false);
    const starting = state({ jobs: [{ jobId: 'job-1', status: 'STARTING', phase: 'queued' }] });
    expect(registryViewChanged(before, registryViewOf(starting, BATCH_STAGES, NOW))).toBe(true);
    expect(registryViewChanged(before, registryViewOf(state({ stageIndex: 2 }), BATCH_STAGES, NOW))).toBe(
      true,
    );
    expect(
      registryViewChanged(
        before,
        registryViewOf(state({ status: 'FAILED', state: 'failure' }), BATCH_STAGES, NOW),
      ),
    ).toBe(true);
    expect(
      registryViewChanged(
        before,
        registryViewOf(state({ callbackUrl: 'https://x/wake/1' }), BATCH_STAGES, NOW),
      ),
    ).toBe(true);
  });
});
