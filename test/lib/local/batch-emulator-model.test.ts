import {
  CancelJobCommand,
  CreateJobQueueCommand,
  DescribeJobsCommand,
  ListJobsCommand,
  RegisterJobDefinitionCommand,
  TerminateJobCommand,
} from '@aws-sdk/client-batch';
import { describe, expect, it } from 'vitest';
import { type BatchOperation, OPERATION_PATHS } from '../../../lib/local/batch-emulator';
import { DEFINITION, QUEUE, submit, useEmulator } from './batch-emulator-harness';
import {
  jsonTypeOf,
  loadBatchModel,
  NEWER_THAN_V2,
  requiredMemberPaths,
  resolveShape,
  shapeProblems,
  v3MemberNames,
  without,
} from './batch-model';

/**
 * The emulator checked against the AWS Batch service model itself (the v2 SDK's batch-2016-08-10 model),
 * not against our own expectations: its routes are the model's, the requests it takes and refuses follow
 * the model's required members and types, and every answer it gives (here and in the other emulator
 * suites, through the shared harness) has only members of the model's output shapes.
 */

const model = loadBatchModel();
const setUp = useEmulator();
const SERVED = Object.keys(OPERATION_PATHS) as BatchOperation[];

interface RawAnswer {
  status: number;
  errorType: string | null;
  body: Record<string, unknown>;
}

/** A request as a REST-JSON client sends it, without an SDK in between (so nothing fills in or drops members). */
async function post(endpoint: string, path: string, body: unknown, method = 'POST'): Promise<RawAnswer> {
  const response = await fetch(`${endpoint}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(method === 'GET' ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: response.status,
    errorType: response.headers.get('x-amzn-errortype'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe('the Batch emulator against the Batch service model', () => {
  it('is checked against the model the SDK ships, a REST-JSON one', () => {
    expect(model.metadata).toMatchObject({ protocol: 'rest-json', apiVersion: '2016-08-10' });
  });

  it('serves every operation at the method and path of the model http trait, and nothing else there', async () => {
    const { emulator } = await setUp();
    for (const operation of SERVED) {
      const http = model.operations[operation]?.http;
      expect(http, operation).toBeDefined();
      expect([http?.method ?? 'POST', http?.requestUri], operation).toEqual([
        'POST',
        OPERATION_PATHS[operation],
      ]);
      const answer = await post(emulator.endpoint, OPERATION_PATHS[operation], {});
      expect(answer.status, operation).not.toBe(404);
      expect(
        (await post(emulator.endpoint, OPERATION_PATHS[operation], undefined, 'GET')).status,
        operation,
      ).toBe(404);
    }
  });

  it('finds what breaks a shape: unknown members, nested ones too, and wrong JSON types', () => {
    const output = model.operations.DescribeJobs?.output ?? {};
    const good = {
      jobs: [
        {
          jobId: 'a',
          status: 'RUNNING',
          createdAt: 1,
          attempts: [{ container: { exitCode: 1 } }],
          arrayProperties: { statusSummary: { RUNNING: 2 }, size: 2 },
          tags: { team: 'data' },
        },
      ],
    };
    expect(shapeProblems(model, output, good, 'DescribeJobs')).toEqual([]);
    const bad = {
      jobs: [
        {
          jobId: 7,
          createdAt: 1.5,
          attempts: [{ container: { exitCode: '1', colour: 'red' } }],
          arrayProperties: { statusSummary: { RUNNING: true } },
          isCancelled: 'yes',
          invented: 1,
        },
      ],
    };
    expect(shapeProblems(model, output, bad, 'DescribeJobs')).toEqual([
      'DescribeJobs.jobs[].jobId: expected string, got integer',
      'DescribeJobs.jobs[].createdAt: expected integer, got number',
      'DescribeJobs.jobs[].attempts[].container.exitCode: expected integer, got string',
      "DescribeJobs.jobs[].attempts[].container.colour: not a member of the model's shape",
      'DescribeJobs.jobs[].arrayProperties.statusSummary{RUNNING}: expected integer, got boolean',
      'DescribeJobs.jobs[].isCancelled: expected boolean, got string',
      "DescribeJobs.jobs[].invented: not a member of the model's shape",
    ]);
  });

  it('allows beyond the v2 model only members the current model (the v3 client) has', () => {
    for (const [path, { v3Shape, members }] of Object.entries(NEWER_THAN_V2)) {
      const [operation, ...rest] = path.split('.');
      let shape = resolveShape(model, model.operations[operation as string]?.output ?? {});
      for (const step of rest) {
        shape = resolveShape(model, shape.members?.[step.replace('[]', '')] ?? {});
        if (step.endsWith('[]')) shape = resolveShape(model, shape.member ?? {});
      }
      expect(shape.type, path).toBe('structure');
      for (const member of Object.keys(members)) {
        // Still missing from v2 (else the entry is stale), and present in v3.
        expect(shape.members?.[member], `${path}.${member} in v2`).toBeUndefined();
        expect(v3MemberNames(v3Shape), `${v3Shape}.${member} in v3`).toContain(member);
      }
    }
  });
});

describe('requests: the model required members and JSON types', () => {
  /** A complete request per operation (using what exists in the emulator), with many optional members. */
  function validRequests(jobId: string): Record<BatchOperation, () => object> {
    let queues = 0;
    return {
      SubmitJob: () => ({
        jobName: 'conformance',
        jobQueue: QUEUE,
        jobDefinition: DEFINITION,
        arrayProperties: { size: 2 },
        dependsOn: [{ jobId }],
        parameters: { day: 'monday' },
        containerOverrides: {
          command: ['run'],
          environment: [{ name: 'MODE', value: 'full' }],
          resourceRequirements: [{ type: 'VCPU', value: '2' }],
        },
        retryStrategy: { attempts: 2, evaluateOnExit: [{ onExitCode: '1', action: 'RETRY' }] },
        timeout: { attemptDurationSeconds: 60 },
        tags: { team: 'data' },
        propagateTags: true,
      }),
      DescribeJobs: () => ({ jobs: [jobId] }),
      ListJobs: () => ({
        jobQueue: QUEUE,
        jobStatus: 'RUNNING',
        filters: [{ name: 'JOB_NAME', values: ['conformance*'] }],
        maxResults: 10,
      }),
      TerminateJob: () => ({ jobId, reason: 'conformance' }),
      CancelJob: () => ({ jobId, reason: 'conformance' }),
      CreateJobQueue: () => ({
        jobQueueName: `conformance-${++queues}`,
        state: 'ENABLED',
        priority: 1,
        computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'ce' }],
        tags: { team: 'data' },
      }),
      RegisterJobDefinition: () => ({
        jobDefinitionName: 'conformance',
        type: 'container',
        parameters: { day: 'monday' },
        containerProperties: {
          image: 'busybox',
          command: ['run'],
          environment: [{ name: 'MODE', value: 'full' }],
          resourceRequirements: [{ type: 'MEMORY', value: '512' }],
        },
        retryStrategy: { attempts: 1 },
        timeout: { attemptDurationSeconds: 60 },
        tags: { team: 'data' },
        propagateTags: false,
        platformCapabilities: ['EC2'],
      }),
    };
  }

  it('takes each complete request, and refuses it with any required member the model marks left out', async () => {
    const { emulator } = await setUp();
    const jobId = emulator.addJob({ jobQueue: QUEUE, jobDefinition: DEFINITION });
    const requests = validRequests(jobId);
    let checked = 0;
    for (const operation of SERVED) {
      const input = model.operations[operation]?.input ?? {};
      const complete = requests[operation]();
      // Every member sent is one the model knows.
      expect(
        Object.keys(complete).filter((name) => resolveShape(model, input).members?.[name] === undefined),
      ).toEqual([]);
      const answer = await post(emulator.endpoint, OPERATION_PATHS[operation], complete);
      expect([answer.status, answer.body], operation).toEqual([200, expect.anything()]);
      for (const path of requiredMemberPaths(model, input, requests[operation]())) {
        const incomplete = without(requests[operation](), path);
        const refused = await post(emulator.endpoint, OPERATION_PATHS[operation], incomplete);
        expect([refused.status, refused.errorType], `${operation} without ${path.join('.')}`).toEqual([
          400,
          'ClientException',
        ]);
        checked += 1;
      }
    }
    // jobName, jobQueue, jobDefinition, a resource requirement's value and type, evaluateOnExit's action;
    // jobs; jobId and reason twice; jobQueueName, priority, computeEnvironmentOrder with order and
    // computeEnvironment; jobDefinitionName, type, a resource requirement's value and type.
    expect(checked).toBe(6 + 1 + 2 + 2 + 5 + 4);
  });

  it('refuses a member of the wrong JSON type, whichever member it is', async () => {
    const { emulator } = await setUp();
    const jobId = emulator.addJob({ jobQueue: QUEUE, jobDefinition: DEFINITION });
    const requests = validRequests(jobId);
    const wrongValue: Record<string, unknown> = {
      object: ['not', 'an', 'object'],
      array: { not: 'a list' },
      string: 12345,
      integer: 'twelve',
      number: 'twelve',
      boolean: 'yes',
    };
    for (const operation of SERVED) {
      const input = resolveShape(model, model.operations[operation]?.input ?? {});
      for (const name of Object.keys(requests[operation]())) {
        const expected = jsonTypeOf(resolveShape(model, input.members?.[name] ?? {}));
        const request = { ...requests[operation](), [name]: wrongValue[expected] };
        const refused = await post(emulator.endpoint, OPERATION_PATHS[operation], request);
        expect([refused.status, refused.errorType], `${operation}.${name} as a non-${expected}`).toEqual([
          400,
          'ClientException',
        ]);
      }
    }
  });
});

describe('answers: only members of the model output shapes, with their JSON types', () => {
  /** Every member path (lists as `[]`, maps as `{}`) that a JSON value holds. */
  function memberPaths(value: unknown, path: string): string[] {
    if (Array.isArray(value)) return value.flatMap((item) => memberPaths(item, `${path}[]`));
    if (typeof value !== 'object' || value === null) return [path];
    return [path, ...Object.entries(value).flatMap(([key, item]) => memberPaths(item, `${path}.${key}`))];
  }

  it('holds for a scenario that uses every operation and every kind of job the emulator runs', async () => {
    const { clock, batch, emulator, exchanges } = await setUp({
      jobQueues: [],
      jobDefinitions: [],
      defaultJobSpec: { durations: { submitted: 1, pending: 1, runnable: 5, starting: 5, running: 100 } },
      jobSpecFor: (request, { arrayIndex }) =>
        request.jobName === 'flaky' || arrayIndex === 1
          ? { attempts: [{ outcome: 'FAILED', exitCode: 2 }] }
          : undefined,
    });
    await batch.send(
      new CreateJobQueueCommand({
        jobQueueName: QUEUE,
        priority: 1,
        computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'ce' }],
      }),
    );
    await batch.send(
      new RegisterJobDefinitionCommand({
        jobDefinitionName: DEFINITION,
        type: 'container',
        parameters: { day: 'monday' },
        containerProperties: {
          image: 'busybox',
          command: ['run'],
          environment: [{ name: 'MODE', value: 'full' }],
          resourceRequirements: [{ type: 'VCPU', value: '1' }],
          vcpus: 1,
          memory: 512,
        },
        retryStrategy: { attempts: 2, evaluateOnExit: [{ onExitCode: '2', action: 'RETRY' }] },
        propagateTags: true,
      }),
    );
    const flaky = await submit(batch, { jobName: 'flaky', tags: { team: 'data' } });
    const capped = await submit(batch, { jobName: 'capped', timeout: { attemptDurationSeconds: 60 } });
    const fanOut = await submit(batch, {
      jobName: 'fan-out',
      arrayProperties: { size: 3 },
      dependsOn: [{ jobId: flaky }, { type: 'SEQUENTIAL' }],
      containerOverrides: { command: ['fan', 'out'], environment: [{ name: 'MODE', value: 'part' }] },
    });
    const cancelled = await submit(batch, { jobName: 'cancelled' });
    await batch.send(new CancelJobCommand({ jobId: cancelled, reason: 'not needed' }));
    clock.advanceSeconds(50);
    const terminated = await submit(batch, { jobName: 'terminated' });
    clock.advanceSeconds(20);
    await batch.send(new TerminateJobCommand({ jobId: terminated, reason: 'stop' }));
    await batch.send(new TerminateJobCommand({ jobId: 'no-such-job', reason: 'stop' }));
    const ids = [flaky, capped, fanOut, `${fanOut}:0`, `${fanOut}:1`, cancelled, terminated];
    for (let step = 0; step < 12; step += 1) {
      await batch.send(new DescribeJobsCommand({ jobs: ids }));
      await batch.send(
        new ListJobsCommand({ jobQueue: QUEUE, filters: [{ name: 'JOB_NAME', values: ['*'] }] }),
      );
      await batch.send(new ListJobsCommand({ arrayJobId: fanOut, jobStatus: 'RUNNING' }));
      await batch.send(new ListJobsCommand({ jobQueue: QUEUE, jobStatus: 'FAILED', maxResults: 1 }));
      clock.advanceSeconds(60);
    }
    await batch.send(new ListJobsCommand({ arrayJobId: fanOut, jobStatus: 'SUCCEEDED' }));
    expect(emulator.job(fanOut)?.status).toBe('SUCCEEDED');

    // The harness has checked each answer against the model; this is what those answers held.
    const served = new Set(
      exchanges.filter((exchange) => exchange.httpStatus === 200).map((e) => e.operation),
    );
    expect([...served].sort()).toEqual([...SERVED].sort());
    const paths = new Set(
      exchanges.flatMap((exchange) => memberPaths(exchange.response, exchange.operation)),
    );
    const expected = [
      'SubmitJob.jobArn',
      'CreateJobQueue.jobQueueArn',
      'RegisterJobDefinition.revision',
      'DescribeJobs.jobs[].attempts[].container.exitCode',
      'DescribeJobs.jobs[].attempts[].container.logStreamName',
      'DescribeJobs.jobs[].attempts[].statusReason',
      'DescribeJobs.jobs[].arrayProperties.statusSummary.RUNNING',
      'DescribeJobs.jobs[].arrayProperties.size',
      'DescribeJobs.jobs[].arrayProperties.index',
      'DescribeJobs.jobs[].container.image',
      'DescribeJobs.jobs[].container.command[]',
      'DescribeJobs.jobs[].container.environment[].name',
      'DescribeJobs.jobs[].container.resourceRequirements[].type',
      'DescribeJobs.jobs[].container.vcpus',
      'DescribeJobs.jobs[].dependsOn[].jobId',
      'DescribeJobs.jobs[].dependsOn[].type',
      'DescribeJobs.jobs[].retryStrategy.evaluateOnExit[].onExitCode',
      'DescribeJobs.jobs[].timeout.attemptDurationSeconds',
      'DescribeJobs.jobs[].tags.team',
      'DescribeJobs.jobs[].propagateTags',
      'DescribeJobs.jobs[].isCancelled',
      'DescribeJobs.jobs[].isTerminated',
      'ListJobs.jobSummaryList[].arrayProperties.size',
      'ListJobs.jobSummaryList[].arrayProperties.index',
      'ListJobs.jobSummaryList[].container.exitCode',
      'ListJobs.nextToken',
    ];
    expect(expected.filter((path) => !paths.has(path))).toEqual([]);
  });
});
