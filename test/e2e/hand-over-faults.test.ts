import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchIo } from '../../lambdas/batch/io';
import { jobSystemIOs } from '../../lambdas/job-system-io';
import { createPollHandler } from '../../lambdas/poll';
import { HAND_OVER_FAILURE_REASONS } from '../../lib/hand-over-states';
import { BatchEmulator } from '../../lib/local/batch-emulator';
import { type AslDefinition, type LocalLambda, LocalStateMachine } from '../../lib/local/local-state-machine';
import {
  batchIntegrations,
  LocalWaiter,
  type LocalWaiterOptions,
  localBatchClient,
  type SynthesizedWaiter,
  synthesizeWaiter,
} from '../../lib/local/local-waiter';
import {
  type ChildExecution,
  nestedExecutionIntegrations,
  START_EXECUTION_SYNC_2,
  type StartExecutionFault,
  TASK_CAUSE_LIMIT,
} from '../../lib/local/nested-executions';
import { seededRandom } from '../../lib/local/seeded-random';
import { VirtualClock } from '../../lib/local/virtual-clock';
import { MAX_CAUSE_LENGTH } from '../../waiters';

/**
 * However a segment ends, the caller's execution ends with the wait's output or a named StepWait error
 * whose cause says what happened. Every run goes through the synthesized ASL of the main and segment
 * machines, the shipped poller, the local Batch, and the local startExecution.sync:2, which answers as AWS
 * documents (real error names, plain-text API causes, TIMED_OUT/ABORTED children without Error, causes cut
 * at 32,768 characters).
 */

const BUDGET = 10;
const everyMinute = { JobComplete: { delay: { kind: 'fixed', delay: 60 } } };
let synthesized: SynthesizedWaiter;
let emulator: BatchEmulator;
let clock: VirtualClock;

beforeAll(async () => {
  synthesized = synthesizeWaiter({ waiter: { pollBudget: BUDGET }, examples: false });
  clock = new VirtualClock();
  emulator = await BatchEmulator.start({ clock });
});

afterAll(async () => {
  await emulator.stop();
});

function waiter(options: Partial<LocalWaiterOptions> = {}): LocalWaiter {
  return new LocalWaiter({
    synthesized,
    batchEndpoint: emulator.endpoint,
    clock,
    random: seededRandom(3),
    ...options,
  });
}

/** A job running long enough for `handOvers` hand-overs at one poll a minute. */
function longJob(handOvers: number, outcome: 'SUCCEEDED' | 'FAILED' = 'SUCCEEDED'): string {
  return emulator.addJob({
    durations: { runnable: 5, running: (handOvers + 0.5) * BUDGET * 60 },
    outcome,
    ...(outcome === 'FAILED' ? { exitCode: 3 } : {}),
  });
}

function causeOf(result: { cause?: string }): Record<string, unknown> {
  expect(result.cause).toBeDefined();
  return JSON.parse(result.cause as string);
}

describe('hand-overs that AWS refuses or loses', () => {
  it('retries a refused StartExecution (limit, throttle, 5xx) and starts each segment once', async () => {
    const faults: StartExecutionFault[] = ['executionLimitExceeded', 'throttled', 'serviceError'];
    const jobId = longJob(2);
    const result = await waiter({ handOver: { faults } }).run({ jobId, overrides: everyMinute });
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { status: 'SUCCEEDED' } });
    expect(faults).toEqual([]);
    expect(result.retries).toBeGreaterThanOrEqual(3);
    const names = result.segments.map((segment) => segment.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names[0]).toMatch(/^[0-9a-f-]{36}-2$/);
  });

  it('attaches a retried start to the segment a lost response started, instead of starting a second', async () => {
    const jobId = longJob(2);
    const result = await waiter({ handOver: { faults: ['lostResponse'] } }).run({
      jobId,
      overrides: everyMinute,
    });
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { jobs: [{ jobId, status: 'SUCCEEDED' }] } });
    const names = result.segments.map((segment) => segment.name);
    expect(names.length).toBeGreaterThanOrEqual(2);
    expect(new Set(names).size).toBe(names.length);
    // The segments are numbered 2, 3, ... in order: none was skipped or started twice.
    const waitId = names[0]?.replace(/-2$/, '');
    expect(names).toEqual(names.map((_, index) => `${waitId}-${index + 2}`));
  });

  it('names a start refused for good (access denied, after its retries) StepWait.HandOverFailed with the reason', async () => {
    const faults: StartExecutionFault[] = Array.from({ length: 11 }, () => 'accessDenied');
    const result = await waiter({ handOver: { faults } }).run({ jobId: longJob(1), overrides: everyMinute });
    expect(result).toMatchObject({ status: 'FAILED', error: 'StepWait.HandOverFailed' });
    const cause = causeOf(result);
    expect(cause).toMatchObject({ caughtError: 'StepFunctions.AWSStepFunctionsException' });
    expect(cause.message).toContain('AccessDeniedException');
    expect(result.segments).toEqual([]);
  });

  it('names a segment machine that does not exist StepWait.HandOverFailed at once, keeping the plain-text cause', async () => {
    const local = waiter();
    const executions: ChildExecution[] = [];
    const main = new LocalStateMachine(synthesized.definition);
    const result = await main.run(
      { jobId: longJob(1), overrides: everyMinute },
      {
        ...local.runtime,
        integrations: {
          ...local.runtime.integrations,
          ...nestedExecutionIntegrations({}, executions),
        },
        context: {
          Execution: { Id: 'arn:aws:states:us-east-1:123456789012:execution:Main:gone', Name: 'gone' },
        },
      },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'StepWait.HandOverFailed', retries: 0 });
    const cause = causeOf(result);
    expect(cause).toMatchObject({ caughtError: 'StepFunctions.StateMachineDoesNotExist' });
    expect(cause.message).toMatch(/^State Machine Does Not Exist: /);
  });
});

/** 1 job, or 100 with long status reasons: a handed-over state large enough that causes are cut. */
function jobsOf(count: 1 | 100, runSeconds: number): Record<string, unknown> {
  const ids = Array.from({ length: count }, () =>
    emulator.addJob({ durations: { runnable: 5, running: runSeconds }, statusReason: 'x'.repeat(200) }),
  );
  return count === 1 ? { jobId: ids[0] } : { jobIds: ids };
}

/** Records what the main machine's Hand Over caught, as the local startExecution.sync:2 raised it. */
function catchesOf(local: LocalWaiter): Error[] {
  const caught: Error[] = [];
  const integrations = local.runtime.integrations as NonNullable<typeof local.runtime.integrations>;
  const start = integrations[START_EXECUTION_SYNC_2] as NonNullable<(typeof integrations)[string]>;
  integrations[START_EXECUTION_SYNC_2] = async (input, context) => {
    try {
      return await start(input, context);
    } catch (error) {
      caught.push(error as Error);
      throw error;
    }
  };
  return caught;
}

describe('segments that end without a result', () => {
  for (const count of [1, 100] as const) {
    it(`names a segment stopped by a person StepWait.SegmentFailed, saying it was stopped (${count} jobs)`, async () => {
      const local = waiter({
        handOver: { stopAfterInvocations: (name) => (name.endsWith('-2') ? 2 : undefined) },
      });
      const caught = catchesOf(local);
      const result = await local.run({ ...jobsOf(count, 4 * BUDGET * 60), overrides: everyMinute });
      expect(result).toMatchObject({ status: 'FAILED', error: 'StepWait.SegmentFailed' });
      expect(result.segments[0]?.result.status).toBe('ABORTED');
      expect(causeOf(result)).toEqual({
        error: 'StepWait.SegmentFailed',
        reason: HAND_OVER_FAILURE_REASONS.stopped,
        caughtError: 'States.TaskFailed',
        segmentExecution: result.segments[0]?.name,
      });
      expect(caught[0]?.name).toBe('States.TaskFailed');
      if (count === 100) {
        // The Cause the main machine caught holds the handed-over state: cut, no longer JSON, and its
        // Status (which comes after Input) gone. DescribeExecution told what happened instead.
        expect(caught[0]?.message.length).toBe(TASK_CAUSE_LIMIT);
        expect(() => JSON.parse(caught[0]?.message ?? '')).toThrow();
        expect(caught[0]?.message).not.toContain('"Status"');
      }
    });

    it(`names a segment that ran past its backstop StepWait.SegmentFailed, saying it timed out (${count} jobs)`, async () => {
      const local = waiter();
      local.segment.machine = new LocalStateMachine({
        ...synthesized.segment.definition,
        TimeoutSeconds: 180,
      });
      const result = await local.run({ ...jobsOf(count, 4 * BUDGET * 60), overrides: everyMinute });
      expect(result).toMatchObject({ status: 'FAILED', error: 'StepWait.SegmentFailed' });
      expect(result.segments[0]?.result).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
      expect(causeOf(result).reason).toBe(HAND_OVER_FAILURE_REASONS.timedOut);
    });
  }

  it('goes on with the output of a segment that ended before a start retried after a lost answer', async () => {
    const jobId = longJob(1);
    const local = waiter({ handOver: { faults: ['lostResponseAfterEnd'] } });
    const result = await local.run({ jobId, overrides: everyMinute });
    // The retry found the name taken (ExecutionAlreadyExists); DescribeExecution gave the segment's output.
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { status: 'SUCCEEDED', jobs: [{ jobId }] } });
    expect(result.entered['Take Segment Output']).toBe(1);
    expect(result.segments).toHaveLength(1);
  });
});

describe('a poller that keeps failing', () => {
  it('ends the wait with StepWait.PollerFailed, naming what was caught, in the main machine or a segment', async () => {
    for (const inSegment of [false, true]) {
      let polls = 0;
      const local = waiter({
        beforeInvoke: () => {
          polls++;
          if (!inSegment || polls > BUDGET)
            throw Object.assign(new Error('out of memory'), { name: 'Runtime.OutOfMemory' });
        },
      });
      const result = await local.run({ jobId: longJob(2), overrides: everyMinute });
      expect(result).toMatchObject({ status: 'FAILED', error: 'StepWait.PollerFailed' });
      expect(causeOf(result)).toMatchObject({
        error: 'StepWait.PollerFailed',
        caughtError: 'Runtime.OutOfMemory',
      });
      // In a segment (contract 2) the failure is the segment's output, raised by the main machine.
      if (inSegment)
        expect(result.segments[0]?.result).toMatchObject({
          status: 'SUCCEEDED',
          output: { error: 'StepWait.PollerFailed' },
        });
      else expect(result.segments).toEqual([]);
    }
  });
});

describe('a segment machine started by someone else', () => {
  it('refuses a handed-over state no poll produced, the way its starter expects', async () => {
    const local = waiter();
    const segment = new LocalStateMachine(synthesized.segment.definition);
    const context = { Execution: { Id: 'arn:aws:states:us-east-1:123456789012:execution:Seg:x', Name: 'x' } };
    const handOver = {
      state: 'continue',
      stageIndex: 0,
      deadline: '2099-01-01T00:00:00.000Z',
      startedAt: '2026-01-01T00:00:00.000Z',
      jobIds: ['job-1'],
      seenJobIds: [],
      target: { jobIds: ['job-1'] },
      overrides: {},
      failOnTimeout: true,
      stages: [{ waiter: 'JobExists', attempts: 0, startedAt: '2026-01-01T00:00:00.000Z' }],
      jobs: [],
    };
    // Contract 2: the refusal is the segment's output, for the starting machine to raise.
    const asOutput = await segment.run({ handOver, handOverVersion: 2 }, { ...local.runtime, context });
    expect(asOutput).toMatchObject({ status: 'SUCCEEDED', output: { error: 'StepWait.InvalidInput' } });
    expect(JSON.parse((asOutput.output as { cause: string }).cause).field).toBe('handOver.deadline');
    // Contract 1 (no version): the refusal is relayed through a small segment, which fails with it, as
    // machines deployed before contract 2 expect, where the cut of a large cause cannot reach.
    const relaying = await segment.run({ handOver }, { ...local.runtime, context });
    expect(relaying).toMatchObject({
      status: 'SUCCEEDED',
      output: { continued: true, delaySeconds: 0, relay: { error: 'StepWait.InvalidInput' } },
    });
    const asFailure = await segment.run({ handOver: relaying.output }, { ...local.runtime, context });
    expect(asFailure).toMatchObject({ status: 'FAILED', error: 'StepWait.InvalidInput' });
    expect(JSON.parse(asFailure.cause as string).field).toBe('handOver.deadline');
    expect(asOutput.lambdaInvocations + relaying.lambdaInvocations + asFailure.lambdaInvocations).toBe(3);
  });
});

describe('waits that fail or time out inside a segment', () => {
  it('ends a 100-job wait that succeeds in a segment with all 100 summaries', async () => {
    const jobIds = Array.from({ length: 100 }, () =>
      emulator.addJob({
        durations: { runnable: 5, running: 2.5 * BUDGET * 60 },
        statusReason: 'z'.repeat(300),
      }),
    );
    const result = await waiter().run({ jobIds, overrides: everyMinute });
    expect(result.segments.length).toBeGreaterThanOrEqual(2);
    expect(result.status).toBe('SUCCEEDED');
    const { jobs } = result.output as { jobs: { jobId: string; status: string }[] };
    expect(jobs.map((job) => job.jobId).sort()).toEqual([...jobIds].sort());
    expect(jobs.every((job) => job.status === 'SUCCEEDED')).toBe(true);
  });

  it('raises a job failure of a 100-job wait as StepWait.JobFailed with a whole, bounded cause', async () => {
    const failing = longJob(1, 'FAILED');
    const others = Array.from({ length: 99 }, () =>
      emulator.addJob({ durations: { runnable: 5, running: 100_000 }, statusReason: 'y'.repeat(300) }),
    );
    const result = await waiter().run({ jobIds: [...others, failing], overrides: everyMinute });
    expect(result.segments.length).toBeGreaterThanOrEqual(1);
    expect(result).toMatchObject({ status: 'FAILED', error: 'StepWait.JobFailed' });
    expect(result.cause?.length).toBeLessThanOrEqual(MAX_CAUSE_LENGTH);
    expect((causeOf(result).jobs as Record<string, unknown>)[failing]).toMatchObject({
      status: 'FAILED',
      exitCode: 3,
    });
    // The segment ended normally, the error in its output (hand-over contract 2).
    expect(result.segments.at(-1)?.result).toMatchObject({
      status: 'SUCCEEDED',
      output: { error: 'StepWait.JobFailed' },
    });
  });

  it('keeps going when a redeploy replaces the segment machine mid-wait, on the new definition', async () => {
    const redeployed = synthesizeWaiter({
      waiter: { pollBudget: BUDGET, delays: { JobComplete: { kind: 'fixed', delay: 90 } } },
      examples: false,
    });
    let continues = 0;
    const delaysAfter: number[] = [];
    const local: LocalWaiter = waiter({
      log: (line) => {
        if (continues >= 1 && line.state === 'retry' && line.stage === 'JobComplete') {
          delaysAfter.push(Number(line.delaySeconds));
        }
        if (line.state === 'continue' && ++continues === 1) {
          local.segment.machine = new LocalStateMachine(redeployed.segment.definition);
        }
      },
    });
    const jobId = longJob(4);
    const result = await local.run({ jobId });
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { jobs: [{ jobId, status: 'SUCCEEDED' }] } });
    expect(result.segments.length).toBeGreaterThanOrEqual(2);
    // After the first hand-over the wait runs on the redeployed definition's delays.
    expect(delaysAfter.length).toBeGreaterThan(BUDGET);
    expect(delaysAfter.slice(0, -1).every((delay) => delay === 90)).toBe(true);
  });
});

/** stepwait 0.1.0's main and segment definitions, as deployed (test/fixtures). */
const deployed = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'deployed-0.1.0-waiter.json'), 'utf8'),
) as {
  pollerLogicalId: string;
  main: { definition: AslDefinition };
  segment: { stateMachineArn: string; definition: AslDefinition };
};

/** A wait started on stepwait 0.1.0's main machine, after a deploy brought the new poller (and segment). */
async function runDeployedMain(
  input: unknown,
  segment: AslDefinition,
  faults: { failSegmentPolls?: boolean } = {},
) {
  const poll = createPollHandler({
    systems: jobSystemIOs({ batch: batchIo(localBatchClient(emulator.endpoint)) }),
    now: () => clock.now(),
    random: seededRandom(9),
    log: () => {},
  });
  const poller: LocalLambda = async (payload) => {
    // A segment's polls carry the schema version of the new definitions; the old main's carry 2.
    if (faults.failSegmentPolls && (payload as { schemaVersion?: number }).schemaVersion !== 2) {
      throw Object.assign(new Error('Rate exceeded'), { name: 'Lambda.TooManyRequestsException' });
    }
    return poll(payload);
  };
  const runtime = {
    clock,
    lambdas: { [deployed.pollerLogicalId]: poller, [synthesized.pollerLogicalId]: poller },
    integrations: batchIntegrations(localBatchClient(emulator.endpoint)),
    random: seededRandom(9),
  };
  const segments: ChildExecution[] = [];
  Object.assign(
    runtime.integrations,
    nestedExecutionIntegrations(
      { [deployed.segment.stateMachineArn]: { machine: new LocalStateMachine(segment), runtime } },
      segments,
    ),
  );
  const result = await new LocalStateMachine(deployed.main.definition).run(input, {
    ...runtime,
    context: { Execution: { Id: 'arn:aws:states:us-east-1:123456789012:execution:Main:old', Name: 'old' } },
  });
  return { result, segments };
}

describe('a wait started before the deploy that brought hand-over contract 2', () => {
  it('ends with its output on the new segment machine and poller', async () => {
    const jobId = longJob(2);
    const { result, segments } = await runDeployedMain(
      { jobId, overrides: everyMinute },
      synthesized.segment.definition,
    );
    expect(segments.length).toBeGreaterThanOrEqual(2);
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { status: 'SUCCEEDED', jobs: [{ jobId }] } });
  });

  it('ends with the named error: the new segment fails as the old machine expects', async () => {
    const jobId = longJob(1, 'FAILED');
    const { result, segments } = await runDeployedMain(
      { jobId, overrides: everyMinute },
      synthesized.segment.definition,
    );
    // Started without handOverVersion, the segment keeps contract 1: it fails, and the old machine parses that.
    expect(segments.at(-1)?.result).toMatchObject({ status: 'FAILED', error: 'StepWait.JobFailed' });
    expect(result).toMatchObject({ status: 'FAILED', error: 'StepWait.JobFailed' });
    expect((causeOf(result).jobs as Record<string, unknown>)[jobId]).toMatchObject({ status: 'FAILED' });
  });

  it('ends with the named error for 100 jobs too, relayed through a small segment the cut cannot reach', async () => {
    const failing = longJob(1, 'FAILED');
    const others = Array.from({ length: 99 }, () =>
      emulator.addJob({ durations: { runnable: 5, running: 100_000 }, statusReason: 'y'.repeat(300) }),
    );
    const { result, segments } = await runDeployedMain(
      { jobIds: [...others, failing], overrides: everyMinute },
      synthesized.segment.definition,
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'StepWait.JobFailed' });
    expect((causeOf(result).jobs as Record<string, unknown>)[failing]).toMatchObject({ status: 'FAILED' });
    // The segment that failed the wait ended with `continued` and the relay; the next one failed with it.
    const [relaying, relayed] = segments.slice(-2);
    expect(relaying?.result).toMatchObject({
      status: 'SUCCEEDED',
      output: { continued: true, relay: { error: 'StepWait.JobFailed' } },
    });
    expect(relayed?.result).toMatchObject({ status: 'FAILED', error: 'StepWait.JobFailed' });
  });

  it('ends with StepWait.PollerFailed when the poller keeps failing in a segment', async () => {
    const { result } = await runDeployedMain(
      { jobId: longJob(2), overrides: everyMinute },
      synthesized.segment.definition,
      {
        failSegmentPolls: true,
      },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'StepWait.PollerFailed' });
    expect(causeOf(result)).toMatchObject({ caughtError: 'Lambda.TooManyRequestsException' });
  });

  it('ends with the named error when its deadline passes in a segment', async () => {
    const jobId = longJob(5);
    const { result } = await runDeployedMain(
      { jobId, timeoutSeconds: 2 * BUDGET * 60, overrides: everyMinute },
      synthesized.segment.definition,
    );
    expect(result).toMatchObject({ status: 'TIMED_OUT', error: 'StepWait.Timeout' });
  });

  it('still runs on its own old segment definition with the new poller', async () => {
    const jobId = longJob(2);
    const { result, segments } = await runDeployedMain(
      { jobId, overrides: everyMinute },
      deployed.segment.definition,
    );
    expect(segments.length).toBeGreaterThanOrEqual(2);
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { jobs: [{ jobId, status: 'SUCCEEDED' }] } });
  });
});
