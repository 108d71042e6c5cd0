import { DescribeJobsCommand, ListJobsCommand } from '@aws-sdk/client-batch';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../lambdas/invalid-input';
import { checkPollerConfig } from '../../lambdas/poller-config';
import { JOB_NAME_PATTERN, MAX_JOB_IDS, parseWaitRequest } from '../../lambdas/wait-request';
import { POLL_EVENT_SCHEMA_VERSION } from '../../waiters';
import { createHarness, describeOutput, isWaitState, job, parseCause, pollerConfig, QUEUE } from './fixtures';

const JOB = 'c0000000-0000-4000-8000-000000000001';
const STAGES = ['JobExists', 'JobRunning', 'JobComplete'];
const ids = (n: number) => Array.from({ length: n }, (_, i) => `job-${i}`);

/** A first poll that must be refused naming `field`, without any call to Batch. */
async function expectRefused(request: unknown, field: string, maxTimeoutSeconds = 86_400) {
  const h = createHarness({ maxTimeoutSeconds, timeoutSeconds: Math.min(86_400, maxTimeoutSeconds) });
  h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'SUCCEEDED')));
  h.batchMock.on(ListJobsCommand).resolves({ $metadata: { httpStatusCode: 200 }, jobSummaryList: [] });
  const result = await h.start(request);
  expect(result).toEqual({
    state: 'failure',
    status: 'FAILED',
    error: 'StepWait.InvalidInput',
    cause: expect.any(String),
  });
  const cause = parseCause(result.cause);
  expect(cause.field).toBe(field);
  expect(cause.reason.startsWith(`${field}: `)).toBe(true);
  expect(h.batchMock.calls()).toHaveLength(0);
  expect(h.logs).toEqual([expect.objectContaining({ waiter: 'test', event: 'invalidInput', field })]);
  return cause;
}

describe('malformed wait requests are refused with StepWait.InvalidInput naming the field', () => {
  const cases: [string, unknown, string][] = [
    ['not an object', 'c0000000', '(input)'],
    ['an array', [JOB], '(input)'],
    ['no job target at all', { timeoutSeconds: 60 }, 'jobId'],
    ['both jobId and jobName', { jobId: JOB, jobName: 'nightly', jobQueue: QUEUE }, 'jobId+jobName'],
    ['both jobId and jobIds', { jobId: JOB, jobIds: [JOB] }, 'jobId+jobIds'],
    ['a job id with a slash', { jobId: 'abc/def' }, 'jobId'],
    ['a job id with a space', { jobId: 'abc def' }, 'jobId'],
    ['an empty job id', { jobId: '' }, 'jobId'],
    ['a numeric job id', { jobId: 42 }, 'jobId'],
    ['a job id of 129 characters', { jobId: `a${'b'.repeat(128)}` }, 'jobId'],
    ['an empty jobIds', { jobIds: [] }, 'jobIds'],
    [`${MAX_JOB_IDS + 1} jobIds`, { jobIds: ids(MAX_JOB_IDS + 1) }, 'jobIds'],
    ['jobIds not a list', { jobIds: JOB }, 'jobIds'],
    ['a bad id inside jobIds', { jobIds: [JOB, 'bad id'] }, 'jobIds[1]'],
    ['a job name starting with "-"', { jobName: '-nightly', jobQueue: QUEUE }, 'jobName'],
    ['a job name starting with "_"', { jobName: '_nightly', jobQueue: QUEUE }, 'jobName'],
    ['a job name of 129 characters', { jobName: `n${'x'.repeat(128)}`, jobQueue: QUEUE }, 'jobName'],
    ['a job name with a colon', { jobName: 'nightly-2026-01-01T00:00:00Z', jobQueue: QUEUE }, 'jobName'],
    ['a job name with a wildcard', { jobName: 'nightly*', jobQueue: QUEUE }, 'jobName'],
    ['an empty job name', { jobName: '', jobQueue: QUEUE }, 'jobName'],
    ['a job name without a queue', { jobName: 'nightly' }, 'jobQueue'],
    ['a waitId that is not a UUID', { jobId: JOB, waitId: 'mine' }, 'waitId'],
    ['an uppercase waitId', { jobId: JOB, waitId: 'C0000000-0000-4000-8000-00000000000A' }, 'waitId'],
    ['a queue with a slash', { jobName: 'nightly', jobQueue: 'queue/x' }, 'jobQueue'],
    [
      'a queue ARN of another service',
      { jobName: 'nightly', jobQueue: 'arn:aws:sqs:us-east-1:123456789012:job-queue/x' },
      'jobQueue',
    ],
    ['newest not a boolean', { jobName: 'nightly', jobQueue: QUEUE, newest: 'yes' }, 'newest'],
    ['timeoutSeconds 0', { jobId: JOB, timeoutSeconds: 0 }, 'timeoutSeconds'],
    ['timeoutSeconds 1.5', { jobId: JOB, timeoutSeconds: 1.5 }, 'timeoutSeconds'],
    ['timeoutSeconds negative', { jobId: JOB, timeoutSeconds: -5 }, 'timeoutSeconds'],
    ['timeoutSeconds as a string', { jobId: JOB, timeoutSeconds: '60' }, 'timeoutSeconds'],
    ['timeoutSeconds above maxTimeoutSeconds', { jobId: JOB, timeoutSeconds: 86_401 }, 'timeoutSeconds'],
    ['failOnTimeout "yes"', { jobId: JOB, failOnTimeout: 'yes' }, 'failOnTimeout'],
    ['an unknown field jobID', { jobID: JOB }, 'jobID'],
    ['an unknown field next to a valid target', { jobId: JOB, queue: QUEUE }, 'queue'],
    ['overrides not an object', { jobId: JOB, overrides: [] }, 'overrides'],
    ['overrides for an unknown stage', { jobId: JOB, overrides: { JobStarted: {} } }, 'overrides.JobStarted'],
    [
      'an override that is not an object',
      { jobId: JOB, overrides: { JobComplete: 60 } },
      'overrides.JobComplete',
    ],
    [
      'an unknown field in an override',
      { jobId: JOB, overrides: { JobComplete: { delaySeconds: 60 } } },
      'overrides.JobComplete.delaySeconds',
    ],
    [
      'a delay strategy of unknown kind',
      { jobId: JOB, overrides: { JobComplete: { delay: { kind: 'linear', delay: 60 } } } },
      'overrides.JobComplete.delay.kind',
    ],
    [
      'a fractional fixed delay',
      { jobId: JOB, overrides: { JobComplete: { delay: { kind: 'fixed', delay: 1.5 } } } },
      'overrides.JobComplete.delay.delay',
    ],
    [
      'a fixed delay of 0 (a Wait takes at least 1 s; refused, not quietly made 1 s)',
      { jobId: JOB, overrides: { JobExists: { delay: { kind: 'fixed', delay: 0 } } } },
      'overrides.JobExists.delay.delay',
    ],
    [
      'a jitter larger than the delay',
      { jobId: JOB, overrides: { JobRunning: { delay: { kind: 'fixed', delay: 5, jitter: 6 } } } },
      'overrides.JobRunning.delay.jitter',
    ],
    [
      'a negative jitter',
      { jobId: JOB, overrides: { JobRunning: { delay: { kind: 'fixed', delay: 5, jitter: -1 } } } },
      'overrides.JobRunning.delay.jitter',
    ],
    [
      'an exponential delay with maxDelay below minDelay',
      {
        jobId: JOB,
        overrides: { JobComplete: { delay: { kind: 'exponential', minDelay: 60, maxDelay: 30 } } },
      },
      'overrides.JobComplete.delay.maxDelay',
    ],
    [
      'a delay that is not an object',
      { jobId: JOB, overrides: { JobComplete: { delay: 60 } } },
      'overrides.JobComplete.delay',
    ],
    [
      'maxAttempts 0',
      { jobId: JOB, overrides: { JobComplete: { maxAttempts: 0 } } },
      'overrides.JobComplete.maxAttempts',
    ],
    [
      'maxAttempts 2.5',
      { jobId: JOB, overrides: { JobComplete: { maxAttempts: 2.5 } } },
      'overrides.JobComplete.maxAttempts',
    ],
    [
      'maxAttempts above a million',
      { jobId: JOB, overrides: { JobComplete: { maxAttempts: 1_000_001 } } },
      'overrides.JobComplete.maxAttempts',
    ],
  ];

  for (const [label, request, field] of cases) {
    it(`${label} -> ${field}`, async () => {
      await expectRefused(request, field);
    });
  }

  it('the cause says what was expected and what came', async () => {
    const cause = await expectRefused({ jobId: JOB, timeoutSeconds: 1.5 }, 'timeoutSeconds');
    expect(cause.reason).toContain('whole seconds from 1 to 86400');
    expect(cause.reason).toContain('1.5');
  });

  it('maxTimeoutSeconds of the config bounds timeoutSeconds', async () => {
    await expectRefused({ jobId: JOB, timeoutSeconds: 3601 }, 'timeoutSeconds', 3600);
    const h = createHarness({ maxTimeoutSeconds: 3600, timeoutSeconds: 600 });
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    const result = await h.start({ jobId: JOB, timeoutSeconds: 3600 });
    expect(isWaitState(result)).toBe(true);
  });
});

describe('valid requests at the edges are accepted', () => {
  it.each([
    ['100 jobIds', { jobIds: ids(MAX_JOB_IDS) }],
    ['a 128-character job name', { jobName: `N${'_-x9'.repeat(31)}abc`, jobQueue: QUEUE }],
    ['a one-character job name', { jobName: '7', jobQueue: QUEUE }],
    ['an array child job id', { jobId: `${JOB}:7` }],
    ['a multi-node child job id', { jobId: `${JOB}#2` }],
    ['a queue ARN', { jobName: 'n', jobQueue: 'arn:aws:batch:us-east-1:123456789012:job-queue/q-1' }],
    [
      'a GovCloud queue ARN',
      { jobName: 'n', jobQueue: 'arn:aws-us-gov:batch:us-gov-west-1:123456789012:job-queue/q' },
    ],
    ['timeoutSeconds 1', { jobId: JOB, timeoutSeconds: 1 }],
    ['timeoutSeconds = maxTimeoutSeconds', { jobId: JOB, timeoutSeconds: 86_400 }],
    ['an empty overrides object', { jobId: JOB, overrides: {} }],
    ['an empty override for a stage', { jobId: JOB, overrides: { JobExists: {} } }],
    [
      'a jitter equal to the delay (Airflow JobExists)',
      { jobId: JOB, overrides: { JobExists: { delay: { kind: 'fixed', delay: 2, jitter: 2 } } } },
    ],
  ])('%s', async (_label, request) => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput());
    h.batchMock.on(ListJobsCommand).resolves({ $metadata: { httpStatusCode: 200 }, jobSummaryList: [] });
    const result = await h.start(request);
    if (!isWaitState(result)) throw new Error(`refused: ${result.cause}`);
    expect(result.state).toBe('retry');
    expect(h.batchMock.calls()).toHaveLength(1);
  });

  it('a waitId (the registry API’s) names the wait in the execution named after it', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput());
    const waitId = 'c0000000-0000-4000-8000-0000000000aa';
    const result = await h.handler({
      schemaVersion: POLL_EVENT_SCHEMA_VERSION,
      config: h.config,
      state: { request: { jobId: JOB, waitId } },
      execution: `arn:aws:states:us-east-1:123456789012:execution:Waiter:${waitId}`,
    });
    if (!isWaitState(result)) throw new Error(`refused: ${result.cause}`);
    expect(result.waitId).toBe(waitId);
    // Without an execution named after it, a waitId is not trusted: the poller mints one.
    const unnamed = await h.first({ jobId: JOB, waitId });
    expect(unnamed.waitId).toMatch(/^wait-/);
  });

  it('a 128-character job name really is 128 characters', () => {
    expect(`N${'_-x9'.repeat(31)}abc`).toHaveLength(128);
  });
});

describe('parseWaitRequest, property-based', () => {
  const nameChar = fc.constantFrom(...'abcXYZ0189_-'.split(''));
  const firstChar = fc.constantFrom(...'aZ09'.split(''));
  const validName = fc
    .tuple(firstChar, fc.array(nameChar, { maxLength: 127 }))
    .map(([first, rest]) => first + rest.join(''));

  it('accepts every valid job name, keeping it unchanged', () => {
    fc.assert(
      fc.property(validName, fc.boolean(), (jobName, newest) => {
        const parsed = parseWaitRequest({ jobName, jobQueue: QUEUE, newest }, STAGES, 86_400);
        expect(parsed.target).toEqual({ jobName, jobQueue: QUEUE, newest });
      }),
    );
  });

  it('refuses a name with any forbidden character, naming jobName', () => {
    const forbidden = fc.oneof(
      fc.constantFrom(' ', ':', '*', '/', '.', '@', '+', '=', '\n', '\u0000', 'é', 'ß', '😀'),
      fc
        .string({ minLength: 1, maxLength: 1, unit: 'binary-ascii' })
        .filter((c) => !/^[A-Za-z0-9_-]$/.test(c)),
    );
    fc.assert(
      fc.property(validName, forbidden, fc.nat(), (name, bad, at) => {
        const position = at % (name.length + 1);
        const jobName = name.slice(0, position) + bad + name.slice(position);
        fc.pre(jobName.length <= 128);
        expect(JOB_NAME_PATTERN.test(jobName)).toBe(false);
        const error = catchInvalid(() => parseWaitRequest({ jobName, jobQueue: QUEUE }, STAGES, 86_400));
        expect(error.field).toBe('jobName');
      }),
    );
  });

  it('refuses any name longer than 128 characters', () => {
    fc.assert(
      fc.property(validName, fc.integer({ min: 1, max: 200 }), (name, extra) => {
        const jobName = name + 'x'.repeat(Math.max(extra, 129 - name.length));
        expect(catchInvalid(() => parseWaitRequest({ jobName, jobQueue: QUEUE }, STAGES, 86_400)).field).toBe(
          'jobName',
        );
      }),
    );
  });

  it('accepts any whole timeout within the bound and refuses every other number', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 86_400 }), (timeoutSeconds) => {
        expect(parseWaitRequest({ jobId: JOB, timeoutSeconds }, STAGES, 86_400).timeoutSeconds).toBe(
          timeoutSeconds,
        );
      }),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ max: 0 }),
          fc.integer({ min: 86_401 }),
          fc.double({ noNaN: false }).filter((d) => !Number.isInteger(d)),
        ),
        (timeoutSeconds) => {
          expect(
            catchInvalid(() => parseWaitRequest({ jobId: JOB, timeoutSeconds }, STAGES, 86_400)).field,
          ).toBe('timeoutSeconds');
        },
      ),
    );
  });

  it('keeps jobIds in order without duplicates', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...ids(10)), { minLength: 1, maxLength: MAX_JOB_IDS }),
        (jobIds) => {
          const parsed = parseWaitRequest({ jobIds }, STAGES, 86_400);
          expect(parsed.target).toEqual({ jobIds: [...new Set(jobIds)] });
        },
      ),
    );
  });
});

function catchInvalid(fn: () => unknown): InvalidInputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected an InvalidInputError');
}

describe('malformed poll events throw StepWait.InvalidInput (the Task fails rather than the wait)', () => {
  async function expectThrown(event: unknown, field: string) {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    const error = await h.handler(event).then(
      () => {
        throw new Error('expected the handler to throw');
      },
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).name).toBe('StepWait.InvalidInput');
    expect((error as InvalidInputError).field).toBe(field);
    expect(h.batchMock.calls()).toHaveLength(0);
  }

  const config = JSON.stringify(pollerConfig());
  const request = { jobId: JOB };

  it('an unknown schemaVersion', async () => {
    await expectThrown({ schemaVersion: 99, config, state: { request } }, 'schemaVersion');
  });

  it('a missing schemaVersion', async () => {
    await expectThrown({ config, state: { request } }, 'schemaVersion');
  });

  it('an event that is not an object', async () => {
    await expectThrown('{"schemaVersion":1}', '(event)');
  });

  it('a config that is not JSON', async () => {
    await expectThrown({ schemaVersion: 1, config: '{not json', state: { request } }, 'config');
  });

  it('a config given as an object instead of a JSON string', async () => {
    await expectThrown({ schemaVersion: 1, config: pollerConfig(), state: { request } }, 'config');
  });

  it('a config naming a stage the model lacks', async () => {
    await expectThrown(
      {
        schemaVersion: 1,
        config: JSON.stringify(pollerConfig({ stages: ['JobExists', 'JobStarted'] })),
        state: { request },
      },
      'config.stages',
    );
  });

  it('a state that is not an object', async () => {
    await expectThrown({ schemaVersion: 1, config, state: null }, 'state');
  });

  it('a carried state with a stage index out of range', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(JOB, 'RUNNING')));
    const state = await h.first(request);
    await expectThrown({ schemaVersion: 1, config, state: { ...state, stageIndex: 3 } }, 'state.stageIndex');
    await expectThrown({ schemaVersion: 1, config, state: { ...state, deadline: 'soon' } }, 'state.deadline');
    await expectThrown({ schemaVersion: 1, config, state: { ...state, jobIds: undefined } }, 'state');
  });
});

describe('checkPollerConfig', () => {
  it('accepts the test config and refuses a timeout above its maximum', () => {
    expect(checkPollerConfig(pollerConfig()).config.stages).toEqual(STAGES);
    expect(
      catchInvalid(() => checkPollerConfig(pollerConfig({ timeoutSeconds: 100, maxTimeoutSeconds: 50 })))
        .field,
    ).toBe('config.timeoutSeconds');
    expect(
      catchInvalid(() => checkPollerConfig(pollerConfig({ maxAttempts: { JobComplete: 0 } }))).field,
    ).toBe('config.maxAttempts.JobComplete');
    expect(
      catchInvalid(() =>
        checkPollerConfig(pollerConfig({ delays: { JobExists: { kind: 'fixed', delay: 2 } } })),
      ).field,
    ).toBe('config.delays.JobRunning');
  });
});
