import { DescribeJobsCommand } from '@aws-sdk/client-batch';
import { describe, expect, it } from 'vitest';
import { RELAY_CAUSE_BUDGET, segmentExecutionName } from '../../lambdas/hand-over';
import type { InvalidInputResult, PollResult } from '../../lambdas/poll';
import { HAND_OVER_CONTRACT, POLL_EVENT_SCHEMA_VERSION, type WaitState } from '../../waiters';
import { createHarness, describeOutput, type Harness, isWaitState, job, parseCause } from './fixtures';

const ID = 'f3b1c0de-0000-4000-8000-00000000000b';

/** A wait that has spent its poll budget of 10 and must continue in a segment. */
async function spentBudget(h: Harness): Promise<WaitState> {
  h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(ID, 'RUNNING')));
  let state = await h.first({ jobId: ID });
  while (state.state === 'retry') {
    h.advance(state.delaySeconds);
    state = await h.next(state);
  }
  return state;
}

/** The first poll of a segment execution started with `input`. */
function segmentPoll(h: Harness, input: Record<string, unknown>) {
  return h.handler({ schemaVersion: POLL_EVENT_SCHEMA_VERSION, config: h.config, state: { request: input } });
}

function refusal(result: PollResult): { field?: string; reason: string } {
  expect(isWaitState(result)).toBe(false);
  expect(result).toMatchObject({ state: 'failure', error: 'StepWait.InvalidInput' });
  return parseCause(result.cause);
}

describe('handing a wait over to a segment execution', () => {
  it('names the segment after the wait and its number, so a retried start finds the same one', async () => {
    const h = createHarness({ pollBudget: 10, acceptsHandOver: true });
    const state = await spentBudget(h);
    expect(state).toMatchObject({ state: 'continue', continued: true, segmentPolls: 10, segments: 1 });
    expect(state.segmentExecutionName).toBe(segmentExecutionName(state.waitId as string, 2));
    expect(state.segmentExecutionName).toMatch(/^wait-1-2$/);
    // 64 characters of wait id and a segment number still fit StartExecution's 80.
    expect(segmentExecutionName('x'.repeat(64), 99_999).length).toBeLessThanOrEqual(80);
  });

  it('continues the state: same deadline, wait id and attempts; the poll count starts again', async () => {
    const h = createHarness({ pollBudget: 10, acceptsHandOver: true });
    const state = await spentBudget(h);
    h.advance(state.delaySeconds);
    const resumed = await segmentPoll(h, {
      handOver: state,
      handOverVersion: HAND_OVER_CONTRACT,
      AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: 'arn:parent',
    });
    expect(resumed).toMatchObject({
      state: 'retry',
      segmentPolls: 1,
      segments: 2,
      deadline: state.deadline,
      waitId: state.waitId,
      handOverVersion: HAND_OVER_CONTRACT,
    });
    expect((resumed as WaitState).attempt).toBe(state.attempt + 1);
    expect((resumed as WaitState).continued).toBeUndefined();
    expect((resumed as WaitState).segmentExecutionName).toBeUndefined();
  });

  it('keeps a machine of contract 1 (no handOverVersion) on contract 1', async () => {
    const h = createHarness({ pollBudget: 10, acceptsHandOver: true });
    const state = await spentBudget(h);
    const resumed = await segmentPoll(h, { handOver: state });
    expect(isWaitState(resumed)).toBe(true);
    expect((resumed as WaitState).handOverVersion).toBeUndefined();
  });

  /** Each change makes a state no poll of this waiter could have produced; the field is named. */
  const tampered: [string, (state: WaitState) => unknown, string][] = [
    [
      'a stage list of another waiter',
      (s) => ({ ...s, stages: s.stages.map((r, i) => (i === 0 ? { ...r, waiter: 'JobDone' } : r)) }),
      'handOver.stages[0].waiter',
    ],
    [
      'a deadline beyond maxTimeout',
      (s) => ({ ...s, deadline: '2099-01-01T00:00:00.000Z' }),
      'handOver.deadline',
    ],
    [
      'overrides of a stage it lacks',
      (s) => ({ ...s, overrides: { JobDone: { maxAttempts: 1 } } }),
      'handOver.overrides.JobDone',
    ],
    [
      'a delay no request may ask for',
      (s) => ({ ...s, overrides: { JobComplete: { delay: { kind: 'fixed', delay: 0.5 } } } }),
      'handOver.overrides.JobComplete.delay.delay',
    ],
    [
      'job parameters on a waiter that does not submit',
      (s) => ({ ...s, submitRequest: { jobName: 'x', parameters: {} } }),
      'handOver.submitRequest',
    ],
    ['ids other than the target’s', (s) => ({ ...s, jobIds: ['other-job'] }), 'handOver.jobIds'],
    [
      'a malformed job id',
      (s) => ({ ...s, target: { jobIds: ['no spaces allowed'] }, jobIds: ['no spaces allowed'] }),
      'handOver.jobIds[0]',
    ],
    ['a negative count', (s) => ({ ...s, attempt: -1 }), 'handOver.attempt'],
    ['a wait id that cannot name an execution', (s) => ({ ...s, waitId: 'a:b' }), 'handOver.waitId'],
    ['a stage index out of range', (s) => ({ ...s, stageIndex: 7 }), 'handOver.stageIndex'],
    ['a wait on another job system', (s) => ({ ...s, system: 'dqops' }), 'handOver.system'],
    ['no state at all', () => 'a string', 'handOver'],
  ];
  for (const [what, change, field] of tampered) {
    it(`refuses a handed-over state with ${what}, naming ${field}`, async () => {
      const h = createHarness({ pollBudget: 10, acceptsHandOver: true, maxTimeoutSeconds: 86_400 });
      const state = await spentBudget(h);
      const result = await segmentPoll(h, { handOver: change(state), handOverVersion: HAND_OVER_CONTRACT });
      expect(refusal(result).field).toBe(field);
      // The refusal goes back the way the starting machine expects: as output, for contract 2.
      expect((result as InvalidInputResult).handOverVersion).toBe(HAND_OVER_CONTRACT);
    });
  }

  it('refuses fields a segment input does not have, and contracts it does not know', async () => {
    const h = createHarness({ pollBudget: 10, acceptsHandOver: true });
    const state = await spentBudget(h);
    expect(refusal(await segmentPoll(h, { handOver: state, failOnTimeout: false })).field).toBe(
      'failOnTimeout',
    );
    const future = await segmentPoll(h, { handOver: state, handOverVersion: HAND_OVER_CONTRACT + 1 });
    expect(refusal(future).field).toBe('handOverVersion');
    expect((future as InvalidInputResult).handOverVersion).toBeUndefined();
  });

  it('treats handOver as an unknown field on a machine that is no segment', async () => {
    const h = createHarness({ pollBudget: 10 });
    const state = await spentBudget(h);
    expect(refusal(await segmentPoll(h, { handOver: state })).field).toBe('handOver');
  });
});

describe('waits in flight when the delay rules tightened', () => {
  it('keeps polling with a config and overrides stepwait 0.1.0 accepted (delay 0, jitter above the delay)', async () => {
    const h = createHarness({
      pollBudget: 10,
      acceptsHandOver: true,
      delays: {
        JobExists: { kind: 'fixed', delay: 0 },
        JobRunning: { kind: 'fixed', delay: 5, jitter: 10 },
        JobComplete: { kind: 'fixed', delay: 60, jitter: 2 },
      },
    });
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(ID, 'RUNNABLE')));
    const started = await h.start({ jobId: ID });
    expect(isWaitState(started)).toBe(true);
    const state = {
      ...(started as WaitState),
      overrides: { JobRunning: { delay: { kind: 'fixed', delay: 0, jitter: 4 } } },
    };
    const next = await h.next(state as WaitState);
    // Still at least 1 s, whatever the numbers.
    expect(next.delaySeconds).toBeGreaterThanOrEqual(1);
    // Handed over with those overrides, the wait goes on too.
    const resumed = await segmentPoll(h, {
      handOver: { ...next, state: 'continue' },
      handOverVersion: HAND_OVER_CONTRACT,
    });
    expect(isWaitState(resumed)).toBe(true);
  });

  it('still refuses such delays in a new request', async () => {
    const h = createHarness();
    const refused = await h.start({
      jobId: ID,
      overrides: { JobRunning: { delay: { kind: 'fixed', delay: 0 } } },
    });
    expect(refusal(refused).field).toBe('overrides.JobRunning.delay.delay');
  });
});

describe('relaying a failure to a machine of contract 1', () => {
  it('fails a relaying segment with the relayed StepWait error, its cause within the relay budget', async () => {
    const h = createHarness({ pollBudget: 10, acceptsHandOver: true });
    const long = JSON.stringify({
      reason: 'job failed',
      jobs: { a: { status: 'FAILED', statusReason: 'x'.repeat(20_000) } },
    });
    const result = await segmentPoll(h, {
      handOver: { continued: true, delaySeconds: 0, relay: { error: 'StepWait.JobFailed', cause: long } },
    });
    expect(result).toMatchObject({
      state: 'failure',
      status: 'FAILED',
      error: 'StepWait.JobFailed',
      relayed: true,
    });
    expect((result as { cause: string }).cause.length).toBeLessThanOrEqual(RELAY_CAUSE_BUDGET);
    expect(JSON.parse((result as { cause: string }).cause).reason).toBe('job failed');
    expect(h.batchMock.calls()).toHaveLength(0);
  });

  it('relays only StepWait errors, naming the field', async () => {
    const h = createHarness({ pollBudget: 10, acceptsHandOver: true });
    const result = await segmentPoll(h, { handOver: { relay: { error: 'States.Runtime', cause: 'x' } } });
    expect(refusal(result).field).toBe('handOver.relay.error');
  });

  it('keeps the causes of a contract-1 segment within the relay budget', async () => {
    const h = createHarness({ pollBudget: 10, acceptsHandOver: true });
    const state = await spentBudget(h);
    h.batchMock
      .on(DescribeJobsCommand)
      .resolves(describeOutput(job(ID, 'FAILED', { statusReason: 'z'.repeat(10_000) })));
    const failed = await segmentPoll(h, { handOver: state });
    expect(failed).toMatchObject({ state: 'failure', error: 'StepWait.JobFailed' });
    expect((failed as WaitState).cause?.length).toBeLessThanOrEqual(RELAY_CAUSE_BUDGET);
  });
});
