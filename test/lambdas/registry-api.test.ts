import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { resubmitKey } from '../../lambdas/registry/api';
import { BATCH_STAGES, registryViewOf, type WaitState } from '../../waiters';
import { waitState } from '../waiters/wait-state-fixture';
import { MACHINE, LOADER as SUBMITTING, testRegistryApi } from './local-registry-api';
import { registryTables } from './local-tables';

const ALICE = {
  userId: 'AROAALICEROLEID00001:alice',
  userArn: 'arn:aws:sts::123456789012:assumed-role/alice/alice',
};
const BOB = { userId: 'AIDABOBUSERID0000001', userArn: 'arn:aws:iam::123456789012:user/bob' };
const ADMIN = {
  userId: 'AROAADMINROLEID00001:ops',
  userArn: 'arn:aws:sts::123456789012:assumed-role/ops/ops',
};

const tables = registryTables();

const sfnMock = mockClient(SFNClient);
beforeEach(() => {
  sfnMock.reset();
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'x', startDate: new Date() });
  sfnMock.on(StopExecutionCommand).resolves({ stopDate: new Date() });
});

function request(
  who: { userId: string; userArn: string } | undefined,
  method: string,
  path: string,
  body?: unknown,
  query?: Record<string, string>,
): LambdaFunctionURLEvent {
  return {
    rawPath: path,
    requestContext: {
      http: { method },
      ...(who ? { authorizer: { iam: { ...who, accountId: '123456789012' } } } : {}),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    ...(query ? { queryStringParameters: query } : {}),
    isBase64Encoded: false,
  } as never;
}

async function api() {
  let clock = Date.parse('2026-12-02T06:00:00Z');
  const store = await tables.store(() => (clock += 1000));
  const terminated: string[][] = [];
  const logs: Record<string, unknown>[] = [];
  const handler = testRegistryApi(store, {
    terminate: async (_system, jobIds) => {
      terminated.push([...jobIds]);
      return [];
    },
    now: () => clock,
    log: (line) => logs.push(line),
  });
  const call = async (...args: Parameters<typeof request>) => {
    const result = (await handler(request(...args))) as { statusCode: number; body: string };
    return { status: result.statusCode, body: JSON.parse(result.body) };
  };
  return { call, store, terminated, logs };
}

/** The execution the API started a wait in (named after it, on its waiter's machine). */
const executionOf = (waitId: string, wait: { executionArns: string[] }) =>
  wait.executionArns.find((arn) => arn.endsWith(`:${waitId}`)) as string;

const state = (overrides: Partial<WaitState>): WaitState =>
  waitState({
    stageIndex: 2,
    jobs: [{ jobId: 'job-1', status: 'RUNNING', phase: 'running' }],
    waitedSeconds: 1,
    segmentPolls: 2,
    ...overrides,
  });

describe('the registry API: each caller’s own waits, by IAM identity', () => {
  it('starts a wait under the caller, named after its record, and lists it for that caller only', async () => {
    const { call } = await api();
    const started = await call(ALICE, 'POST', '/waits', {
      name: 'nightly load',
      description: 'the warehouse load',
      properties: { team: 'data' },
      waiter: 'waiter',
      input: { jobId: 'job-1' },
    });
    expect(started.status).toBe(201);
    const { wait } = started.body;
    expect(wait).toMatchObject({
      name: 'nightly load',
      status: 'PENDING',
      tethysStatus: 'Pending',
      owner: { display: 'role/alice', verified: true },
      actions: ['cancel'],
    });
    expect(wait.owner).not.toHaveProperty('id');
    const startCall = sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(startCall).toMatchObject({ stateMachineArn: MACHINE, name: wait.waitId });
    expect(JSON.parse(startCall?.input as string)).toEqual({ jobId: 'job-1', waitId: wait.waitId });

    const listed = (await call(ALICE, 'GET', '/waits')).body;
    expect(listed.waits.map((w: { waitId: string }) => w.waitId)).toEqual([wait.waitId]);
    // The registry's own time, for how long an active wait has run.
    expect(Date.parse(listed.asOf)).toBeGreaterThanOrEqual(Date.parse(wait.createdAt));
    expect((await call(BOB, 'GET', '/waits')).body.waits).toEqual([]);
    expect((await call(BOB, 'GET', `/waits/${wait.waitId}`)).status).toBe(404);
    expect((await call(ALICE, 'GET', `/waits/${wait.waitId}`)).body.wait.waitId).toBe(wait.waitId);
    const adminView = await call(ADMIN, 'GET', `/waits/${wait.waitId}`);
    expect(adminView.body.wait.owner).toMatchObject({ id: 'AROAALICEROLEID00001' });
    expect((await call(ADMIN, 'GET', '/waits', undefined, { all: 'true' })).body.waits).toHaveLength(1);
    expect((await call(ALICE, 'GET', '/waits', undefined, { all: 'true' })).body.error).toBe('NotAdmin');
  });

  it('answers 404 for another owner’s wait whatever the action, and changes nothing', async () => {
    const { call, store } = await api();
    const { wait } = (
      await call(ALICE, 'POST', '/waits', { name: 'x', waiter: 'waiter', input: { jobId: 'job-1' } })
    ).body;
    for (const [method, path] of [
      ['GET', `/waits/${wait.waitId}`],
      ['POST', `/waits/${wait.waitId}/cancel`],
      ['POST', `/waits/${wait.waitId}/resubmit`],
      ['DELETE', `/waits/${wait.waitId}`],
    ] as const) {
      const answer = await call(BOB, method, path);
      expect(answer).toEqual({
        status: 404,
        body: { error: 'NoSuchWait', message: `no wait ${wait.waitId} of yours` },
      });
    }
    expect(sfnMock.commandCalls(StopExecutionCommand)).toHaveLength(0);
    expect((await store.get(wait.waitId))?.status).toBe('PENDING');
  });

  it('cancels an active wait once, terminating only the jobs it submitted itself', async () => {
    const { call, store, terminated } = await api();
    const own = (
      await call(ALICE, 'POST', '/waits', { name: 'load', waiter: 'loader', input: { jobName: 'load-1' } })
    ).body.wait;
    await store.recordProgress(
      own.waitId,
      registryViewOf(state({ submitted: { jobId: 'job-1' } }), BATCH_STAGES, '2026-12-02T06:01:00Z'),
      { executionArn: executionOf(own.waitId, own) },
    );
    const cancelled = await call(ALICE, 'POST', `/waits/${own.waitId}/cancel`);
    expect(cancelled.status).toBe(202);
    expect(cancelled.body).toMatchObject({
      wait: { status: 'ABORTED', tethysStatus: 'Aborted', actions: ['resubmit', 'delete'] },
      terminatedJobIds: ['job-1'],
    });
    expect(terminated).toEqual([['job-1']]);
    expect(sfnMock.commandCalls(StopExecutionCommand)[0]?.args[0].input).toMatchObject({
      executionArn: `${SUBMITTING.replace(':stateMachine:', ':execution:')}:${own.waitId}`,
      error: 'StepWait.Cancelled',
    });
    expect((await call(ALICE, 'POST', `/waits/${own.waitId}/cancel`)).body.error).toBe('NotActive');

    // A wait that continued in a segment: the execution it began in is stopped first (stopping it stops the
    // segment its Hand Over waits for; a segment stopped first would fail it), whatever order the set keeps.
    const long = (
      await call(ALICE, 'POST', '/waits', { name: 'long', waiter: 'waiter', input: { jobId: 'job-2' } })
    ).body.wait;
    const segment = `arn:aws:states:us-east-1:123456789012:execution:ASegments:${long.waitId}-1`;
    await store.recordProgress(
      long.waitId,
      registryViewOf(state({ jobIds: ['job-2'], segments: 1 }), BATCH_STAGES, '2026-12-02T06:02:00Z'),
      { executionArn: segment },
    );
    const before = sfnMock.commandCalls(StopExecutionCommand).length;
    expect((await call(ALICE, 'POST', `/waits/${long.waitId}/cancel`)).status).toBe(202);
    expect(
      sfnMock
        .commandCalls(StopExecutionCommand)
        .slice(before)
        .map((stop) => stop.args[0].input.executionArn),
    ).toEqual([executionOf(long.waitId, long), segment]);

    // A wait started outside the registry (a schedule): its first execution has a name of its own.
    const scheduled = 'c0000000-0000-4000-8000-0000000000a9';
    const executions = [
      `arn:aws:states:us-east-1:123456789012:execution:ASegments:${scheduled}-2`,
      `arn:aws:states:us-east-1:123456789012:execution:ASegments:${scheduled}-1`,
      'arn:aws:states:us-east-1:123456789012:execution:Waiter:nightly-2026-12-02',
    ];
    for (const [index, executionArn] of executions.entries()) {
      await store.recordProgress(
        scheduled,
        registryViewOf(
          state({ jobIds: ['job-3'], waitId: scheduled, segmentPolls: 3 + index }),
          BATCH_STAGES,
          '2026-12-02T06:03:00Z',
        ),
        { executionArn },
      );
    }
    const stopsBefore = sfnMock.commandCalls(StopExecutionCommand).length;
    expect((await call(ADMIN, 'POST', `/waits/${scheduled}/cancel`)).status).toBe(202);
    expect(
      sfnMock
        .commandCalls(StopExecutionCommand)
        .slice(stopsBefore)
        .map((stop) => stop.args[0].input.executionArn),
    ).toEqual([executions[2], executions[1], executions[0]]);

    // A wait on a job it did not submit stops the wait, never the job.
    sfnMock.on(StopExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'gone', $metadata: {} }));
    const other = (
      await call(ALICE, 'POST', '/waits', { name: 'watch', waiter: 'waiter', input: { jobId: 'job-9' } })
    ).body.wait;
    await store.recordProgress(
      other.waitId,
      registryViewOf(state({ jobIds: ['job-9'] }), BATCH_STAGES, '2026-12-02T06:01:00Z'),
      { executionArn: executionOf(other.waitId, other) },
    );
    expect((await call(ALICE, 'POST', `/waits/${other.waitId}/cancel`)).body).toMatchObject({
      terminatedJobIds: [],
    });
    expect(terminated).toEqual([['job-1']]);
  });

  it('resubmits a finished submit-and-wait under a new business key, and deletes finished waits only', async () => {
    const { call, store } = await api();
    const first = (
      await call(ALICE, 'POST', '/waits', { name: 'load', waiter: 'loader', input: { jobName: 'load-1' } })
    ).body.wait;
    expect((await call(ALICE, 'POST', `/waits/${first.waitId}/resubmit`)).body.error).toBe('StillActive');
    expect((await call(ALICE, 'DELETE', `/waits/${first.waitId}`)).body.error).toBe('StillActive');
    await store.recordProgress(
      first.waitId,
      registryViewOf(state({ status: 'SUCCEEDED', state: 'success' }), BATCH_STAGES, '2026-12-02T07:00:00Z'),
      { executionArn: executionOf(first.waitId, first) },
    );

    const again = await call(ALICE, 'POST', `/waits/${first.waitId}/resubmit`);
    expect(again.status).toBe(201);
    const key = resubmitKey('load-1', again.body.wait.waitId);
    expect(key).toBe(`load-1-rs-${again.body.wait.waitId.slice(0, 8)}`);
    expect(
      JSON.parse(sfnMock.commandCalls(StartExecutionCommand)[1]?.args[0].input.input as string),
    ).toMatchObject({ jobName: key });
    expect(again.body.wait.properties).toEqual({ resubmittedFrom: first.waitId });
    expect(resubmitKey(key, 'd1111111-0000-4000-8000-000000000000')).toBe('load-1-rs-d1111111');
    expect(resubmitKey('x'.repeat(128), 'd1111111-0000-4000-8000-000000000000')).toHaveLength(128);

    const watch = (
      await call(ALICE, 'POST', '/waits', { name: 'w', waiter: 'waiter', input: { jobId: 'job-2' } })
    ).body.wait;
    await store.recordProgress(
      watch.waitId,
      registryViewOf(state({ status: 'FAILED', state: 'failure' }), BATCH_STAGES, '2026-12-02T07:00:00Z'),
      { executionArn: executionOf(watch.waitId, watch) },
    );
    expect((await call(ALICE, 'POST', `/waits/${watch.waitId}/resubmit`)).body.error).toBe(
      'NotResubmittable',
    );
    expect(await call(ALICE, 'DELETE', `/waits/${watch.waitId}`)).toEqual({
      status: 200,
      body: { deleted: watch.waitId },
    });
    expect((await call(ALICE, 'GET', `/waits/${watch.waitId}`)).status).toBe(404);
  });

  it('refuses bad requests with a named reason, before anything is written', async () => {
    const { call, store } = await api();
    const cases: [Parameters<typeof request>, number, string, RegExp][] = [
      [[undefined, 'GET', '/waits'], 403, 'CallerNotAllowed', /no IAM identity/],
      [[ALICE, 'GET', '/jobs'], 404, 'NoSuchRoute', /under \/waits/],
      [[ALICE, 'PUT', '/waits'], 405, 'MethodNotAllowed', /GET or POST/],
      [[ALICE, 'GET', '/waits/not-an-id'], 400, 'InvalidRequest', /^waitId: expected a wait id/],
      [[ALICE, 'POST', '/waits', 'not json'], 400, 'InvalidRequest', /^\(body\): expected a JSON object/],
      [
        [ALICE, 'POST', '/waits', { name: 'x', waiter: 'waiter' }],
        400,
        'InvalidRequest',
        /^input: expected the wait request/,
      ],
      [
        [ALICE, 'POST', '/waits', { name: '', waiter: 'waiter', input: { jobId: 'j' } }],
        400,
        'InvalidRequest',
        /^name: expected text of 1 to 128/,
      ],
      [
        [ALICE, 'POST', '/waits', { name: 'a\nb', waiter: 'waiter', input: { jobId: 'j' } }],
        400,
        'InvalidRequest',
        /no control characters/,
      ],
      [
        [ALICE, 'POST', '/waits', { name: 'x', input: { jobId: 'j' } }],
        400,
        'InvalidRequest',
        /^waiter: expected one of waiter, loader/,
      ],
      [
        [ALICE, 'POST', '/waits', { name: 'x', waiter: 'waiter', input: { jobId: 'a b' } }],
        400,
        'InvalidRequest',
        /^input\.jobId: /,
      ],
      [
        [
          ALICE,
          'POST',
          '/waits',
          {
            name: 'x',
            waiter: 'waiter',
            input: { jobId: 'j', waitId: 'c0000000-0000-4000-8000-000000000001' },
          },
        ],
        400,
        'InvalidRequest',
        /^input\.waitId: expected none/,
      ],
      [
        [ALICE, 'POST', '/waits', { name: 'x', waiter: 'waiter', input: { jobId: 'j' }, owner: 'bob' }],
        400,
        'InvalidRequest',
        /^owner: expected no such field/,
      ],
      [[ALICE, 'POST', '/waits', { name: 'x'.repeat(70_000) }], 413, 'BodyTooLarge', /at most 65536 bytes/],
      [
        [ALICE, 'GET', '/waits', undefined, { limit: '1000' }],
        400,
        'InvalidRequest',
        /^limit: expected a whole number from 1 to 100/,
      ],
      [
        [ALICE, 'GET', '/waits', undefined, { status: 'Done' }],
        400,
        'InvalidRequest',
        /^status: expected one of Pending/,
      ],
      [
        [ALICE, 'GET', '/waits', undefined, { cursor: 'garbage' }],
        400,
        'InvalidRequest',
        /^cursor: expected a cursor/,
      ],
    ];
    for (const [args, status, error, message] of cases) {
      const answer = await call(...args);
      expect({ status: answer.status, error: answer.body.error }).toEqual({ status, error });
      expect(answer.body.message).toMatch(message);
    }
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect((await store.list({ all: true }, { limit: 10 })).records).toEqual([]);
  });

  it('records a start as failed only when the execution does not exist; one that may have started stays open', async () => {
    const { call, store } = await api();
    const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    sfnMock.on(StartExecutionCommand).rejects(throttled);
    sfnMock
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'none', $metadata: {} }));
    const refused = await call(ALICE, 'POST', '/waits', {
      name: 'x',
      waiter: 'waiter',
      input: { jobId: 'j' },
    });
    expect(refused).toMatchObject({
      status: 503,
      body: { error: 'StartFailed', message: /ThrottlingException; try again/ },
    });
    const [failed] = (await store.list({ ownerId: 'AROAALICEROLEID00001' }, { limit: 5 })).records;
    expect(failed).toMatchObject({
      status: 'FAILED',
      tethysStatus: 'Error',
      endReason: 'StartExecution failed: ThrottlingException',
    });

    // The call timed out after Step Functions had started it: the wait is on.
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    const started = await call(ALICE, 'POST', '/waits', {
      name: 'y',
      waiter: 'waiter',
      input: { jobId: 'j' },
    });
    expect(started).toMatchObject({ status: 201, body: { wait: { name: 'y', status: 'PENDING' } } });

    // Nobody can tell yet: the record stays open for the first poll to write, and the caller is told so.
    sfnMock
      .on(DescribeExecutionCommand)
      .rejects(Object.assign(new Error('boom'), { name: 'InternalServerError' }));
    const unknown = await call(ALICE, 'POST', '/waits', {
      name: 'z',
      waiter: 'waiter',
      input: { jobId: 'j' },
    });
    expect(unknown).toMatchObject({ status: 503, body: { error: 'StartUnconfirmed' } });
    const [open] = (await store.list({ ownerId: 'AROAALICEROLEID00001' }, { limit: 1 })).records;
    expect(open).toMatchObject({ name: 'z', status: 'PENDING' });
    expect(open).not.toHaveProperty('final');
  });
});

describe('1,000 randomized registry API requests', () => {
  it('get a success the caller may have or a 4xx with a named reason, touch no one else’s wait, lose no record', async () => {
    const { call, store } = await api();
    const ROOT = { userId: '123456789012', userArn: 'arn:aws:iam::123456789012:root' };
    const seeded: string[] = [];
    for (const [who, name, waiter, input] of [
      [ALICE, 'a1', 'waiter', { jobId: 'job-a1' }],
      [ALICE, 'a2', 'loader', { jobName: 'load-a2' }],
      [BOB, 'b1', 'waiter', { jobId: 'job-b1' }],
      [BOB, 'b2', 'loader', { jobName: 'load-b2' }],
    ] as const) {
      const started = await call(who, 'POST', '/waits', { name, waiter, input });
      seeded.push(started.body.wait.waitId);
    }
    await store.recordEnd(seeded[1] as string, 'SUCCEEDED', '2026-12-02T07:00:00Z');
    await store.recordEnd(seeded[3] as string, 'FAILED', '2026-12-02T07:00:00Z');

    /** Every record, deleted ones too (a delete leaves a hidden tombstone), by id. */
    const everything = async () => {
      const records = new Map<string, { owner: string; status: string; deleted: boolean }>();
      let cursor: string | undefined;
      do {
        const page = await store.list({ all: true }, { limit: 100, ...(cursor ? { cursor } : {}) });
        for (const record of page.records)
          records.set(record.waitId, { owner: record.owner.id, status: record.status, deleted: false });
        cursor = page.cursor;
      } while (cursor !== undefined);
      return records;
    };
    const callers = [ALICE, BOB, ADMIN, undefined, ROOT] as const;
    const ownerIdOf = (who: (typeof callers)[number]) => who?.userId.split(':')[0];
    const ids = fc.oneof(
      fc.constantFrom(...seeded),
      fc.uuid(),
      fc.string({ maxLength: 40 }),
      fc.constant('../../etc/passwd'),
    );
    const request = fc.oneof(
      fc.record({
        route: fc.constant('list' as const),
        query: fc.dictionary(
          fc.constantFrom('limit', 'cursor', 'status', 'all', 'other'),
          fc.oneof(
            fc.string({ maxLength: 30 }),
            fc.integer().map(String),
            fc.constantFrom('1000000', 'true', 'Running'),
          ),
        ),
      }),
      fc.record({ route: fc.constantFrom('get', 'cancel', 'resubmit', 'delete'), id: ids }),
      fc.record({
        route: fc.constant('start' as const),
        body: fc.oneof(
          fc.jsonValue(),
          fc.string({ maxLength: 100 }),
          fc.constant('x'.repeat(70_000)),
          fc.record(
            {
              name: fc.oneof(fc.string({ maxLength: 200 }), fc.integer()),
              waiter: fc.constantFrom('waiter', 'loader', 'other'),
              properties: fc.dictionary(fc.string({ maxLength: 70 }), fc.string({ maxLength: 10 })),
              input: fc.oneof(
                fc.jsonValue(),
                fc.constant({ jobId: 'job-new' }),
                fc.constant({ waitId: 'x' }),
              ),
            },
            { requiredKeys: [] },
          ),
        ),
      }),
    );
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...callers), request, async (who, sent) => {
        const before = await everything();
        const answer =
          sent.route === 'list'
            ? await call(who, 'GET', '/waits', undefined, sent.query)
            : sent.route === 'start'
              ? await call(who, 'POST', '/waits', sent.body)
              : sent.route === 'get'
                ? await call(who, 'GET', `/waits/${sent.id}`)
                : sent.route === 'delete'
                  ? await call(who, 'DELETE', `/waits/${sent.id}`)
                  : await call(who, 'POST', `/waits/${sent.id}/${sent.route}`);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        expect(answer.status).toBeLessThan(500);
        if (answer.status >= 400) {
          expect(answer.body.error).toMatch(/^[A-Z][A-Za-z]+$/);
          expect(typeof answer.body.message).toBe('string');
        }
        const after = await everything();
        const caller = ownerIdOf(who);
        const admin = caller === 'AROAADMINROLEID00001';
        for (const [waitId, record] of before) {
          const now = after.get(waitId);
          // Another owner's wait: untouched, unless an admin acted on it.
          if (record.owner !== caller && !admin) expect(now).toEqual(record);
          // No record is lost but by a successful delete of that very wait.
          if (now === undefined) {
            expect(sent.route === 'delete' && sent.id === waitId && answer.status === 200).toBe(true);
          }
        }
        // A refusal changes nothing at all.
        if (answer.status >= 400) expect([...after]).toEqual([...before]);
      }),
      { numRuns: 1_000, seed: 7 },
    );
    // The run reached successes and refusals alike, not only one kind.
    expect(statuses.get(200)).toBeGreaterThan(10);
    expect([400, 403, 404].every((status) => (statuses.get(status) ?? 0) > 20)).toBe(true);
  }, 120_000);
});
