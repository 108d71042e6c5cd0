import { beforeAll, describe, expect, it } from 'vitest';
import { EVENT_FAULT_SCENARIOS } from '../../../lib/local/event-faults';
import {
  attemptSequenceProblem,
  classifyOutcome,
  FAULT_SCENARIOS,
  type FaultRow,
  faultWaitSpecs,
  type PollLine,
  RANDOM_INPUT_JOBS,
  randomInputs,
  runFaultSuite,
  runRandomInput,
} from '../../../lib/local/fault-scenarios';
import { synthesizeWaiter } from '../../../lib/local/local-waiter';
import { seededRandom } from '../../../lib/local/seeded-random';

/**
 * The fault-injection suite at small scale (a few waits per row, 50 random inputs) on the synthesized ASL;
 * `npm run faults` runs the full one. About 20 s.
 */

let rows: FaultRow[];
const rowOf = (id: string): FaultRow => {
  const found = rows.find((candidate) => candidate.scenario === id);
  if (found === undefined) throw new Error(`no row ${id}`);
  return found;
};

beforeAll(async () => {
  rows = await runFaultSuite({ scale: 'small', seed: 42 });
}, 120_000);

describe('fault injection, small scale', () => {
  const transient = FAULT_SCENARIOS.filter((scenario) => scenario.expect === 'same-as-fault-free');

  it('has a row per scenario, each with the waits of its small scale', () => {
    expect(rows.map((row) => row.scenario)).toEqual([
      ...FAULT_SCENARIOS.map((scenario) => scenario.id),
      ...EVENT_FAULT_SCENARIOS.map((scenario) => scenario.id),
      'callback-requests',
      'registry-writes',
    ]);
    for (const scenario of [...FAULT_SCENARIOS, ...EVENT_FAULT_SCENARIOS])
      expect(rowOf(scenario.id).waitsRun).toBe(scenario.waits.small);
  });

  it.each(EVENT_FAULT_SCENARIOS.map((scenario) => scenario.id))(
    '%s: every event-mode wait ends as its job did, reports its final status, and notices it within the bound',
    (id) => {
      const row = rowOf(id);
      expect(row.failures).toEqual([]);
      expect(row).toMatchObject({ dataLost: 0, passed: true });
      expect(row.waitsCorrect).toBe(row.waitsRun);
    },
  );

  it('callbacks: 100 random requests, each valid one accepted and each bad one refused by name, none waking wrongly', () => {
    const row = rowOf('callback-requests');
    expect(row.failures).toEqual([]);
    expect(row).toMatchObject({ waitsRun: 100, waitsCorrect: 100, dataLost: 0, passed: true });
    expect(row.stats.woken).toBeGreaterThan(0);
    expect(row.stats.refused).toBeGreaterThan(row.stats.valid ?? Number.POSITIVE_INFINITY);
    expect(row.stats.rateLimited).toBeGreaterThan(0);
  });

  it("registry: half the pollers' writes throttled, yet every wait ends as its job did and its record says so", () => {
    const row = rowOf('registry-writes');
    expect(row.failures).toEqual([]);
    expect(row).toMatchObject({ waitsRun: 10, waitsCorrect: 10, dataLost: 0, passed: true });
    expect(row.stats.throttled).toBeGreaterThan(0);
    expect(row.stats.writes).toBeGreaterThan(row.stats.throttled ?? Number.POSITIVE_INFINITY);
  });

  it('event faults really happened, and the wake-up path answered each the way it should', () => {
    expect(rowOf('events-duplicated').stats.eventsDuplicated).toBeGreaterThan(0);
    expect(rowOf('events-lost').stats).toMatchObject({ wokenByEvent: 0, parkTimeouts: 0 });
    expect(rowOf('events-lost').stats.wokenBySweeper).toBeGreaterThan(0);
    expect(rowOf('events-before-park').stats.wokenByRecheck).toBeGreaterThan(0);
    expect(rowOf('events-waker-crash').stats.wakerCrashes).toBeGreaterThan(0);
    expect(rowOf('events-waker-crash').stats.redeliveredMessages).toBeGreaterThan(0);
    expect(rowOf('events-send-task-throttled').stats.sendTaskThrottles).toBeGreaterThan(0);
    expect(rowOf('events-dynamodb-throttled').stats.dynamoDbThrottles).toBeGreaterThan(0);
  });

  it.each(transient.map((scenario) => scenario.id))(
    '%s: every wait succeeds like its fault-free twin, no attempt consumed, no data lost',
    (id) => {
      const row = rowOf(id);
      expect(row.failures).toEqual([]);
      expect(row).toMatchObject({ attemptsConsumedByFaults: 0, dataLost: 0, passed: true });
      expect(row.waitsCorrect).toBe(row.waitsRun);
      // Every attempt the outputs count is a poll Batch really answered.
      expect(row.stats.attempts).toBe(row.stats.realPolls);
    },
  );

  it('throttling: half the Batch calls are throttled, none of them an attempt', () => {
    const { stats } = rowOf('batch-throttling');
    expect(stats.throttledCalls).toBeGreaterThan(0.3 * (stats.batchCalls ?? 0));
    expect(stats.throttledPolls).toBeGreaterThan(0);
    expect(stats.lambdaInvocations).toBe((stats.realPolls ?? 0) + (stats.throttledPolls ?? 0));
  });

  it('DQOps: its GETs are throttled and answered 503 the same way, and each 429 waits its Retry-After', () => {
    const throttling = rowOf('dqops-throttling').stats;
    expect(throttling.throttledCalls).toBeGreaterThan(0.3 * (throttling.batchCalls ?? 0));
    expect(throttling.minThrottledBackoffSeconds).toBeGreaterThanOrEqual(
      FAULT_SCENARIOS.find((scenario) => scenario.id === 'dqops-throttling')?.retryAfterSeconds ?? Infinity,
    );
    // Batch sends no Retry-After: its throttles back off from 2 s.
    expect(rowOf('batch-throttling').stats.minThrottledBackoffSeconds).toBeLessThan(20);
    expect(rowOf('dqops-5xx-bursts').stats.serverErrors).toBeGreaterThan(0);
  });

  it('5xx bursts: each failed call backs off at least 2 s in a Wait, then the wait goes on', () => {
    const { stats, waitsRun } = rowOf('batch-5xx-bursts');
    const bursts = FAULT_SCENARIOS.find((scenario) => scenario.id === 'batch-5xx-bursts')?.serverErrorBursts;
    expect(stats.bursts).toBe((bursts?.bursts ?? 0) * waitsRun);
    // At least the first burst of each wait, at its first call, fails whole.
    expect(stats.serverErrors).toBeGreaterThanOrEqual((bursts?.minLength ?? 0) * waitsRun);
    expect(stats.transientPolls).toBeGreaterThan(0);
    expect(stats.longestTransientBackoffSeconds).toBeGreaterThanOrEqual(2);
    expect(stats.longestTransientBackoffSeconds).toBeLessThanOrEqual(64);
  });

  it('Lambda failures: both errors are retried by the Task Retry, with full jitter', () => {
    const { stats } = rowOf('lambda-task-failures');
    expect(stats.lambdaFailures).toBeGreaterThan(0);
    expect(stats.serviceExceptions).toBeGreaterThan(0);
    expect(stats.tooManyRequests).toBeGreaterThan(0);
    expect(stats.taskRetries).toBe(stats.lambdaFailures);
    // Full jitter: delays spread below the 2 s x 2^n interval rather than equal to it.
    expect(stats.distinctRetryDelays).toBeGreaterThan(1);
    expect(stats.maxRetryDelaySeconds).toBeLessThanOrEqual(60);
  });

  it('poller crash: every retry resumes at the same stage and attempt, at both crash points', () => {
    const { stats, waitsRun } = rowOf('poller-crash');
    expect(stats.crashes).toBe(waitsRun);
    expect(stats.crashesBeforeHandler).toBeGreaterThan(0);
    expect(stats.crashesAfterBatchCall).toBeGreaterThan(0);
    expect(stats.resumedAtSameStageAndAttempt).toBe(stats.crashes);
    expect(stats.taskRetries).toBe(stats.crashes);
  });

  it('across hand-overs: the waits continue in segment executions and lose nothing', () => {
    const { stats } = rowOf('across-hand-overs');
    expect(stats.segmentExecutions).toBeGreaterThan(0);
    expect(stats.resumedAtSameStageAndAttempt).toBe(stats.crashes);
  });

  it('a job that vanishes ends in StepWait.JobNotFound; an unknown status in StepWait.UnknownStatus naming it', () => {
    for (const id of ['job-vanishes', 'unknown-status']) {
      const row = rowOf(id);
      expect(row.failures).toEqual([]);
      expect(row).toMatchObject({ dataLost: 0, passed: true, attemptsConsumedByFaults: null });
      expect(row.stats.altered).toBe(row.waitsRun);
    }
    // The cause reports the status Batch gave, not the one the previous poll saw.
    expect(rowOf('unknown-status').stats.staleCauseStatus).toBe(0);
  });

  it('random inputs: valid ones wait, invalid ones are refused naming the field the generator broke', () => {
    const row = rowOf('random-inputs');
    expect(row.dataLost).toBe(0);
    expect(row.stats.oracleMismatches).toBe(0);
    expect(row.stats.waits).toBeGreaterThan(0);
    expect(row.stats.invalidInput).toBeGreaterThan(0);
    // Nothing ends in an error naming no field.
    expect(row.incorrect).toEqual([]);
    expect(row.passed).toBe(true);
  });
});

describe('inputs that once slipped past validation', () => {
  const synthesized = () =>
    synthesizeWaiter(FAULT_SCENARIOS.find((scenario) => scenario.id === 'random-inputs')?.waiterProps);

  it('a null execution input is refused with StepWait.InvalidInput naming (input)', async () => {
    const { outcome } = await runRandomInput(synthesized(), null, seededRandom(1));
    expect(outcome).toEqual({ kind: 'invalid-input', field: '(input)' });
  });

  it('a caller-supplied handOver is refused with StepWait.InvalidInput naming it', async () => {
    const { outcome } = await runRandomInput(
      synthesized(),
      { jobId: RANDOM_INPUT_JOBS.succeeded[0], handOver: {} },
      seededRandom(1),
    );
    expect(outcome).toEqual({ kind: 'invalid-input', field: 'handOver' });
  });

  it('a caller-supplied handOver shaped like a state is refused by name, not continued', async () => {
    const { outcome, result } = await runRandomInput(
      synthesized(),
      {
        jobId: RANDOM_INPUT_JOBS.succeeded[0],
        handOver: {
          stageIndex: 0,
          deadline: '2099-01-01T00:00:00Z',
          jobIds: [RANDOM_INPUT_JOBS.succeeded[0]],
          seenJobIds: [],
          target: {},
        },
      },
      seededRandom(1),
    );
    // The main machine is no segment: handOver is an unknown field there, refused before any Batch call.
    expect(outcome).toEqual({ kind: 'invalid-input', field: 'handOver' });
    expect(result.lambdaInvocations).toBe(1);
  });
});

describe('the checks themselves', () => {
  const line = (stage: string, attempt: number, observation = 'described', state = 'retry'): PollLine => ({
    stage,
    attempt,
    state,
    observation,
    delaySeconds: 1,
    jobs: [],
    at: 0,
  });

  it('accept consecutive attempts, throttles that keep the attempt, and stages settled by one response', () => {
    expect(
      attemptSequenceProblem([
        line('JobRunning', 0),
        line('JobRunning', 0, 'throttled'),
        line('JobRunning', 1),
        line('JobComplete', 0),
        line('JobComplete', 1, 'described', 'continue'),
        line('JobComplete', 1, 'transient'),
        line('JobComplete', 2, 'described', 'success'),
      ]),
    ).toBeUndefined();
  });

  it('catch a skipped attempt, a repeated one, a throttle counted as one and a stage going back', () => {
    expect(attemptSequenceProblem([line('JobExists', 1), line('JobExists', 3)])).toMatch(/attempt 3/);
    expect(attemptSequenceProblem([line('JobExists', 1), line('JobExists', 1)])).toMatch(/attempt 1/);
    expect(attemptSequenceProblem([line('JobExists', 1), line('JobExists', 2, 'throttled')])).toMatch(
      /throttled/,
    );
    expect(attemptSequenceProblem([line('JobComplete', 0), line('JobRunning', 0)])).toMatch(/JobRunning/);
  });

  it('count an InvalidInput whose cause names no field as an unnamed error', () => {
    const base = { historyEvents: 0, stateTransitions: 0, lambdaInvocations: 1, retries: 0, entered: {} };
    const failed = {
      ...base,
      simulatedSeconds: 0,
      status: 'FAILED' as const,
      error: 'StepWait.InvalidInput',
    };
    expect(classifyOutcome({ ...failed, cause: '{"reason":"x","field":"jobId"}' })).toEqual({
      kind: 'invalid-input',
      field: 'jobId',
    });
    expect(classifyOutcome({ ...failed, cause: 'state.deadline: expected an ISO 8601 time' }).kind).toBe(
      'unnamed',
    );
    expect(classifyOutcome({ ...failed, error: 'StepWait.JobNotFound', cause: '{}' }).kind).toBe('wait');
  });

  it('draw the same waits and inputs from the same seed', () => {
    expect(faultWaitSpecs(5, 7)).toEqual(faultWaitSpecs(5, 7));
    expect(faultWaitSpecs(5, 7)).not.toEqual(faultWaitSpecs(5, 8));
    expect(randomInputs(30, 7)).toEqual(randomInputs(30, 7));
    expect(randomInputs(30, 7)).not.toEqual(randomInputs(30, 8));
  });
});
