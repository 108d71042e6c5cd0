import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dqopsIo } from '../../lambdas/dqops/io';
import { jobSystemIOs } from '../../lambdas/job-system-io';
import { createPollHandler, type PollResult } from '../../lambdas/poll';
import type { PollerConfig } from '../../lambdas/poller-config';
import { DqopsEmulator } from '../../lib/local/dqops-emulator';
import { loopbackFetch } from '../../lib/local/loopback-fetch';
import { VirtualClock } from '../../lib/local/virtual-clock';
import { MAX_RETRY_AFTER_SECONDS, POLL_EVENT_SCHEMA_VERSION, type WaitState } from '../../waiters';
import { DQOPS_DEFAULT_DELAYS, dqopsWaiterModel } from '../../waiters/dqops/jobs';

/** The poller waiting for DQOps jobs, one poll at a time, against the emulator on the virtual clock. */

const BASE = 'https://dqops.example.com';
const clock = new VirtualClock(Date.parse('2026-03-01T00:00:00Z'));
let emulator: DqopsEmulator;

beforeAll(async () => {
  emulator = await DqopsEmulator.start({ clock, historySeconds: 600 });
});
afterAll(() => emulator.stop());
beforeEach(() => emulator.setFaults({}));

function config(changes: Partial<PollerConfig> = {}): PollerConfig {
  return {
    name: 'dqops-test',
    system: 'dqops',
    endpoint: BASE,
    model: dqopsWaiterModel(changes.model ? undefined : 'error').toJSON(),
    stages: ['JobExists', 'JobRunning', 'JobComplete'],
    delays: { ...DQOPS_DEFAULT_DELAYS },
    maxAttempts: {},
    timeoutSeconds: 3_600,
    maxTimeoutSeconds: 86_400,
    failOnTimeout: true,
    ...changes,
  };
}

/** Polls until the wait ends, advancing the clock by each delay; the states, in order. */
async function waitFor(request: unknown, cfg: PollerConfig = config()): Promise<(WaitState & PollResult)[]> {
  const handler = createPollHandler({
    systems: jobSystemIOs({
      dqops: dqopsIo({ baseUrl: BASE, fetch: loopbackFetch(emulator.origin), now: () => clock.now() }),
    }),
    now: () => clock.now(),
    random: () => 0.5,
    log: () => {},
  });
  const states: (WaitState & PollResult)[] = [];
  let state = (await handler({
    schemaVersion: POLL_EVENT_SCHEMA_VERSION,
    config: JSON.stringify(cfg),
    state: { request },
  })) as WaitState;
  states.push(state as WaitState & PollResult);
  while (state.state === 'retry') {
    clock.advanceSeconds(state.delaySeconds);
    state = (await handler({
      schemaVersion: POLL_EVENT_SCHEMA_VERSION,
      config: JSON.stringify(cfg),
      state,
    })) as WaitState;
    states.push(state as WaitState & PollResult);
  }
  return states;
}

describe('waiting for DQOps jobs', () => {
  it('follows a run-checks job by id to success, with the common phase beside DQOps’ status', async () => {
    const id = emulator.startJob({ queuedSeconds: 20, runSeconds: 300, highestSeverity: 'warning' });
    const states = await waitFor({ jobId: id });
    const done = states.at(-1) as WaitState;
    expect(done.state).toBe('success');
    expect(done.jobs).toEqual([
      expect.objectContaining({
        jobId: id,
        status: 'finished',
        phase: 'succeeded',
        detail: expect.objectContaining({ highestSeverity: 'warning' }),
      }),
    ]);
    expect(states.some((state) => state.jobs[0]?.phase === 'queued')).toBe(true);
    // Tools reading the state (stepwait cancel) learn the system from it.
    expect(states.every((state) => state.system === 'dqops')).toBe(true);
    expect(done.stages.map((stage) => stage.waiter)).toEqual(['JobExists', 'JobRunning', 'JobComplete']);
  });

  it('fails at failAtSeverity with the severity in the cause', async () => {
    const id = emulator.startJob({ queuedSeconds: 0, runSeconds: 40, highestSeverity: 'error' });
    const done = (await waitFor({ jobId: id })).at(-1) as WaitState;
    expect(done.error).toBe('StepWait.JobFailed');
    const cause = JSON.parse(done.cause as string);
    expect(cause.reason).toContain('highestSeverity: error');
    expect(cause.jobs[id]).toMatchObject({ status: 'finished', detail: { highestSeverity: 'error' } });
  });

  it('waits by business key, resolving it once', async () => {
    const id = emulator.startJob({ queuedSeconds: 0, runSeconds: 60 }, 'orders-2026-03-01');
    const before = emulator.requests.length;
    const states = await waitFor({ jobName: 'orders-2026-03-01' });
    expect(states.at(-1)?.state).toBe('success');
    expect(states.every((state) => JSON.stringify(state.jobIds) === JSON.stringify([id]))).toBe(true);
    // The key was looked up once; every later poll asked for the job by its id.
    const paths = emulator.requests.slice(before).map((request) => request.path);
    expect(paths.filter((path) => path.endsWith('/orders-2026-03-01'))).toHaveLength(1);
    expect(paths.filter((path) => path.endsWith(`/${id}`)).length).toBe(paths.length - 1);
  });

  it('refuses a job queue for DQOps keys, and a job id that is no DQOps id', async () => {
    const queue = await waitFor({ jobName: 'k', jobQueue: 'q' });
    expect(queue[0]).toMatchObject({ error: 'StepWait.InvalidInput' });
    expect(JSON.parse(queue[0]?.cause as string).field).toBe('jobQueue');
    const badId = await waitFor({ jobId: 'a1b2-not-a-number' });
    expect(JSON.parse(badId[0]?.cause as string)).toMatchObject({
      field: 'jobId',
      reason: expect.stringContaining('DQOps job id'),
    });
  });

  it('calls a job DQOps forgot before the next poll StepWait.JobForgotten, not JobFailed or JobNotFound', async () => {
    const id = emulator.startJob({ queuedSeconds: 0, runSeconds: 30 });
    const slow = config({
      delays: {
        JobExists: { kind: 'fixed', delay: 2 },
        JobRunning: { kind: 'fixed', delay: 2 },
        JobComplete: { kind: 'fixed', delay: 1_200 },
      },
    });
    const done = (await waitFor({ jobId: id }, slow)).at(-1) as WaitState;
    expect(done.error).toBe('StepWait.JobForgotten');
    expect(JSON.parse(done.cause as string).reason).toContain('in-memory job history');
  });

  it('backs off on 429 for as long as Retry-After asks, without spending an attempt', async () => {
    const id = emulator.startJob({ queuedSeconds: 0, runSeconds: 600 });
    emulator.setFaults({ throttleNext: 1, retryAfterSeconds: 90 });
    const handler = createPollHandler({
      systems: jobSystemIOs({ dqops: dqopsIo({ baseUrl: BASE, fetch: loopbackFetch(emulator.origin) }) }),
      now: () => clock.now(),
      random: () => 0.5,
      log: () => {},
    });
    const first = (await handler({
      schemaVersion: POLL_EVENT_SCHEMA_VERSION,
      config: JSON.stringify(config()),
      state: { request: { jobId: id } },
    })) as WaitState;
    expect(first).toMatchObject({ state: 'retry', attempt: 0, throttledCalls: 1, delaySeconds: 90 });
    // A Retry-After of an hour is held to MAX_RETRY_AFTER_SECONDS: the job must not be forgotten meanwhile.
    emulator.setFaults({ throttleNext: 1, retryAfterSeconds: 3_600 });
    clock.advanceSeconds(first.delaySeconds);
    const second = (await handler({
      schemaVersion: POLL_EVENT_SCHEMA_VERSION,
      config: JSON.stringify(config()),
      state: first,
    })) as WaitState;
    expect(second).toMatchObject({
      state: 'retry',
      throttledCalls: 2,
      delaySeconds: MAX_RETRY_AFTER_SECONDS,
    });
  });

  it('cancels the job through DQOps when the deadline passes with cancelJobOnTimeout', async () => {
    const id = emulator.startJob({ queuedSeconds: 0, runSeconds: 7_200 });
    const done = (await waitFor({ jobId: id, timeoutSeconds: 300 }, config({ cancelJobOnTimeout: true }))).at(
      -1,
    ) as WaitState;
    expect(done.error).toBe('StepWait.Timeout');
    expect(JSON.parse(done.cause as string)).toMatchObject({
      cancelledJobIds: [id],
      reason: expect.stringContaining('stepwait cancelled job'),
    });
    expect(emulator.job(id)?.status).toBe('cancel_requested');
  });

  it('names the jobs it could not cancel, and counts only those it did', async () => {
    const id = emulator.startJob({ queuedSeconds: 0, runSeconds: 7_200 });
    const states = await waitFor(
      { jobId: id, timeoutSeconds: 300 },
      config({ cancelJobOnTimeout: true, failOnTimeout: false }),
    );
    expect(states.at(-1)?.state).toBe('timeout');
    // The run above cancelled; now one whose DELETE fails at the deadline.
    const other = emulator.startJob({ queuedSeconds: 0, runSeconds: 7_200 });
    const handler = createPollHandler({
      systems: jobSystemIOs({
        dqops: dqopsIo({ baseUrl: BASE, fetch: loopbackFetch(emulator.origin), now: () => clock.now() }),
      }),
      now: () => clock.now(),
      random: () => 0.5,
      log: () => {},
    });
    const cfg = JSON.stringify(config({ cancelJobOnTimeout: true }));
    let state = (await handler({
      schemaVersion: POLL_EVENT_SCHEMA_VERSION,
      config: cfg,
      state: { request: { jobId: other, timeoutSeconds: 60 } },
    })) as WaitState;
    while (state.state === 'retry') {
      clock.advanceSeconds(state.delaySeconds);
      if (Date.parse(state.deadline) <= clock.now()) emulator.setFaults({ failDeletesNext: 1 });
      state = (await handler({ schemaVersion: POLL_EVENT_SCHEMA_VERSION, config: cfg, state })) as WaitState;
    }
    expect(state.error).toBe('StepWait.Timeout');
    expect(JSON.parse(state.cause as string)).toMatchObject({
      cancelledJobIds: [],
      cancelFailures: [`${other}: HTTP 503`],
      reason: expect.stringContaining('tried to cancel'),
    });
    expect(emulator.job(other)?.status).toBe('running');
  });

  it('fails closed on a status DQOps does not document', async () => {
    const id = emulator.startJob({ queuedSeconds: 0, runSeconds: 600, runningStatus: 'paused' });
    const done = (await waitFor({ jobId: id })).at(-1) as WaitState;
    expect(done.error).toBe('StepWait.UnknownStatus');
    expect(JSON.parse(done.cause as string).reason).toContain('"paused"');
  });

  it('refuses a config whose endpoint is not https', async () => {
    // Refused before any call goes out: the fetch points at a closed port.
    const poll = createPollHandler({
      systems: jobSystemIOs({
        dqops: dqopsIo({ baseUrl: BASE, fetch: loopbackFetch('http://127.0.0.1:9') }),
      }),
      now: () => clock.now(),
      random: () => 0.5,
      log: () => {},
    });
    await expect(
      poll({
        schemaVersion: POLL_EVENT_SCHEMA_VERSION,
        config: JSON.stringify(config({ endpoint: 'http://dqops.example.com' })),
        state: { request: { jobId: '1' } },
      }),
    ).rejects.toThrow(/config.endpoint/);
  });
});
