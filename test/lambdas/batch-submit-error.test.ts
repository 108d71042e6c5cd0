import { DescribeJobsCommand, ListJobsCommand } from '@aws-sdk/client-batch';
import { describe, expect, it } from 'vitest';
import { classifySubmitError } from '../../lambdas/batch/submit-error';
import type { WaitState } from '../../waiters';
import { MAX_SUBMIT_FAILURES, MAX_SUBMIT_THROTTLES } from '../../waiters';
import { createHarness, describeOutput, type Harness, job, listed, parseCause, QUEUE } from './fixtures';

const NAME = 'etl-2026-11-25';
const ID = 'c0000000-0000-4000-8000-00000000000a';

/** How Step Functions' Batch integration words a failed SubmitJob: the SDK's message with its details. */
const sdkCause = (message: string, status: number, code: string) =>
  `${message} (Service: AWSBatch; Status Code: ${status}; Error Code: ${code}; Request ID: 8c1f; Proxy: null)`;
const THROTTLED = {
  Error: 'Batch.AWSBatchException',
  Cause: sdkCause('Too Many Requests', 429, 'TooManyRequestsException'),
};
const LOST = { Error: 'Batch.SdkClientException', Cause: 'Unable to execute HTTP request: socket hang up' };
const FAILING = { Error: 'Batch.ServerException', Cause: sdkCause('Internal error', 500, 'ServerException') };
const REFUSED = {
  Error: 'Batch.ClientException',
  Cause: sdkCause('Job Queue etl-queue does not exist', 400, 'ClientException'),
};

function submitter(): Harness {
  return createHarness({ submit: { jobQueue: QUEUE, resubmitFailed: false, parameters: {} } });
}

/** A wait whose lookup found no job: the machine's Submit Job runs next. */
async function toSubmit(h: Harness): Promise<WaitState> {
  h.batchMock.on(ListJobsCommand).resolves({ $metadata: { httpStatusCode: 200 }, jobSummaryList: [] });
  const state = await h.first({ jobName: NAME });
  expect(state.state).toBe('submit');
  return state;
}

/** What the Submit Job task's Catch hands the next poll. */
function caught(state: WaitState, error: { Error: string; Cause: string }): WaitState {
  return { ...state, submitError: error };
}

describe('a SubmitJob that failed', () => {
  it('tells refusals from failures that may have created the job', () => {
    expect(classifySubmitError(REFUSED)).toMatchObject({
      permanent: true,
      errorName: 'Batch.ClientException',
    });
    const denied = {
      Error: 'Batch.AWSBatchException',
      Cause: sdkCause('User is not authorized to perform: batch:SubmitJob', 403, 'AccessDeniedException'),
    };
    expect(classifySubmitError(denied).permanent).toBe(true);
    expect(classifySubmitError(THROTTLED)).toMatchObject({ permanent: false, throttled: true });
    expect(classifySubmitError(LOST)).toMatchObject({ permanent: false, throttled: false });
    expect(
      classifySubmitError({ Error: 'Batch.ServerException', Cause: sdkCause('x', 500, 'ServerException') }),
    ).toMatchObject({ permanent: false });
    expect(classifySubmitError({}).errorName).toBe('States.TaskFailed');
  });

  it('ends a refused submit with StepWait.SubmitFailed and Batch’s message, without another call', async () => {
    const h = submitter();
    const state = await toSubmit(h);
    const calls = h.batchMock.calls().length;
    const result = await h.next(caught(state, REFUSED));
    expect(result).toMatchObject({ state: 'failure', error: 'StepWait.SubmitFailed', submitFailures: 1 });
    expect(parseCause(result.cause).reason).toContain('Job Queue etl-queue does not exist');
    expect(parseCause(result.cause).reason).toContain('Batch.ClientException');
    expect(h.batchMock.calls().length).toBe(calls);
  });

  it('after a throttled or lost submit, waits at least 30 s, then looks the name up before submitting again', async () => {
    for (const failure of [THROTTLED, LOST]) {
      const h = submitter();
      const state = await toSubmit(h);
      const calls = h.batchMock.calls().length;
      const backedOff = await h.next(caught(state, failure));
      expect(backedOff).toMatchObject({ state: 'retry', attempt: state.attempt });
      // A throttle is counted apart from the failures that may have created the job.
      expect(failure === THROTTLED ? backedOff.submitThrottles : backedOff.submitFailures).toBe(1);
      expect(backedOff.delaySeconds).toBeGreaterThanOrEqual(30);
      expect(backedOff.submitError).toBeUndefined();
      // No Batch call in the poll that judged the failure: ListJobs may not list the job yet.
      expect(h.batchMock.calls().length).toBe(calls);

      // The lost call did create the job: the next poll finds it and attaches, with no second SubmitJob.
      h.advance(backedOff.delaySeconds);
      h.batchMock.on(ListJobsCommand).resolves({
        $metadata: { httpStatusCode: 200 },
        jobSummaryList: [listed(ID, NAME)],
      });
      h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(ID, 'RUNNABLE', { jobName: NAME })));
      const attached = await h.next(backedOff);
      expect(attached.state).toBe('retry');
      expect(attached.jobIds).toEqual([ID]);
      expect(h.describeCalls()).toEqual([[ID]]);
    }
  });

  it('submits again when the lookup still finds nothing, and gives up after MAX_SUBMIT_FAILURES', async () => {
    const h = submitter();
    let state = await toSubmit(h);
    for (let failure = 1; failure < MAX_SUBMIT_FAILURES; failure++) {
      state = await h.next(caught(state, failure % 2 === 0 ? LOST : FAILING));
      expect(state).toMatchObject({ state: 'retry', submitFailures: failure });
      h.advance(state.delaySeconds);
      state = await h.next(state);
      expect(state.state).toBe('submit');
    }
    const given = await h.next(caught(state, FAILING));
    expect(given).toMatchObject({ state: 'failure', error: 'StepWait.SubmitFailed' });
    expect(parseCause(given.cause).reason).toContain(`${MAX_SUBMIT_FAILURES} failures in a row`);
  });

  it('counts throttles apart: they created nothing, and a burst of them may last a while', async () => {
    const h = submitter();
    let state = await toSubmit(h);
    for (let throttle = 1; throttle < MAX_SUBMIT_THROTTLES; throttle++) {
      state = await h.next(caught(state, THROTTLED));
      expect(state).toMatchObject({ state: 'retry', submitThrottles: throttle });
      expect(state.submitFailures).toBeUndefined();
      h.advance(state.delaySeconds);
      state = await h.next(state);
    }
    const given = await h.next(caught(state, THROTTLED));
    expect(given).toMatchObject({ state: 'failure', error: 'StepWait.SubmitFailed' });
    expect(parseCause(given.cause).reason).toContain(`throttled ${MAX_SUBMIT_THROTTLES} times`);
  });
});
