import { DescribeJobsCommand } from '@aws-sdk/client-batch';
import { describe, expect, it } from 'vitest';
import { POLL_EVENT_SCHEMA_VERSION, type WaitState } from '../../lambdas/poll';
import { createHarness, describeOutput, isWaitState, job } from './fixtures';

const ID = 'f3b1c0de-0000-4000-8000-00000000000a';

describe('poll event schema versions', () => {
  it('the current definition sends version 2', () => {
    expect(POLL_EVENT_SCHEMA_VERSION).toBe(2);
  });

  it('finishes a wait started before the deploy: a version-1 event with a version-1 state', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(ID, 'RUNNING')));
    const started = await h.first({ jobId: ID });
    // What a version-1 poller returned: no per-execution poll count, no segment count.
    const { segmentPolls: _polls, segments: _segments, ...versionOne } = started;
    h.advance(started.delaySeconds);
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(ID, 'SUCCEEDED')));
    const result = await h.handler({ schemaVersion: 1, config: h.config, state: versionOne as WaitState });
    expect(isWaitState(result)).toBe(true);
    expect(result).toMatchObject({ state: 'success', status: 'SUCCEEDED', segmentPolls: 1, segments: 1 });
    expect((result as WaitState).deadline).toBe(started.deadline);
  });

  it('refuses a version it does not know, naming the field', async () => {
    const h = createHarness();
    await expect(
      h.handler({ schemaVersion: 3, config: h.config, state: { request: { jobId: ID } } }),
    ).rejects.toThrowError(/schemaVersion: expected one of 1, 2/);
  });

  it('continues a handed-over state in a new execution: same deadline and attempts, poll count reset', async () => {
    const h = createHarness({ pollBudget: 10, acceptsHandOver: true });
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(ID, 'RUNNING')));
    let state = await h.first({ jobId: ID });
    while (state.state === 'retry') {
      h.advance(state.delaySeconds);
      state = await h.next(state);
    }
    expect(state).toMatchObject({ state: 'continue', continued: true, segmentPolls: 10, segments: 1 });
    h.advance(state.delaySeconds);
    const resumed = await h.handler({
      schemaVersion: 2,
      config: h.config,
      state: { request: { handOver: state, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: 'arn:parent' } },
    });
    expect(resumed).toMatchObject({ state: 'retry', segmentPolls: 1, segments: 2, deadline: state.deadline });
    expect((resumed as WaitState).attempt).toBe(state.attempt + 1);
    expect((resumed as WaitState).continued).toBeUndefined();
  });
});
