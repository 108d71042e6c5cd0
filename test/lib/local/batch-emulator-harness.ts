import {
  BatchClient,
  DescribeJobsCommand,
  type JobDetail,
  ListJobsCommand,
  type ListJobsCommandInput,
  SubmitJobCommand,
  type SubmitJobCommandInput,
} from '@aws-sdk/client-batch';
import { afterEach, expect } from 'vitest';
import {
  BatchEmulator,
  type BatchEmulatorOptions,
  type BatchExchange,
} from '../../../lib/local/batch-emulator';
import { VirtualClock } from '../../../lib/local/virtual-clock';
import { loadBatchModel, shapeProblems } from './batch-model';

/** What the emulator suites share: a started emulator and an SDK client per test, and small helpers. */

export const START = Date.UTC(2026, 0, 1);
export const ACCOUNT_PREFIX = 'arn:aws:batch:us-east-1:123456789012';
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The queue and definition `submit` uses, known to every emulator set up here unless options replace them. */
export const QUEUE = 'my-queue';
export const DEFINITION = 'my-def';

/** The shape the SDK gives a service error; checked field by field in the tests. */
export interface SdkError {
  name: string;
  message: string;
  $fault?: string;
  $metadata: { httpStatusCode?: number; requestId?: string };
}

export interface EmulatorSetup {
  clock: VirtualClock;
  emulator: BatchEmulator;
  batch: BatchClient;
  /** Every request and answer so far, each already checked against the service model. */
  exchanges: BatchExchange[];
}

const model = loadBatchModel();

/**
 * Where an answer breaks the Batch service model: a success must fit the operation's output shape
 * (members and JSON types, recursively); an error carries only its message.
 */
export function answerProblems(exchange: BatchExchange): string[] {
  const { operation, httpStatus, response } = exchange;
  if (httpStatus !== 200) {
    const body = response as Record<string, unknown>;
    const members = Object.keys(body);
    return members.length === 1 && typeof body.message === 'string'
      ? []
      : [`${operation} ${httpStatus}: an error body must be { message }, got ${JSON.stringify(body)}`];
  }
  const output = model.operations[operation]?.output;
  if (output === undefined) return [`${operation}: no such operation in the model`];
  return shapeProblems(model, output, response, operation);
}

/**
 * Call at a suite's top level: returns `setUp`, which starts an emulator (knowing QUEUE and DEFINITION)
 * and a client without retries, both stopped after each test. Every answer the emulator gives in the
 * test is checked against the Batch service model; a test whose answers break it fails.
 */
export function useEmulator(): (options?: Partial<BatchEmulatorOptions>) => Promise<EmulatorSetup> {
  let emulator: BatchEmulator | undefined;
  let client: BatchClient | undefined;
  let problems: string[] = [];
  afterEach(async () => {
    client?.destroy();
    client = undefined;
    await emulator?.stop();
    emulator = undefined;
    const found = problems;
    problems = [];
    expect(found, 'answers outside the Batch service model').toEqual([]);
  });
  return async (options = {}) => {
    const clock = new VirtualClock(START);
    const exchanges: BatchExchange[] = [];
    const started = await BatchEmulator.start({
      clock,
      jobQueues: [QUEUE],
      jobDefinitions: [DEFINITION],
      ...options,
      onExchange: (exchange) => {
        exchanges.push(exchange);
        problems.push(...answerProblems(exchange));
        options.onExchange?.(exchange);
      },
    });
    emulator = started;
    const batch = new BatchClient({
      region: 'us-east-1',
      endpoint: started.endpoint,
      credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    client = batch;
    return { clock, emulator: started, batch, exchanges };
  };
}

export async function sdkError(promise: Promise<unknown>): Promise<SdkError> {
  try {
    await promise;
  } catch (error) {
    return error as SdkError;
  }
  throw new Error('expected the SDK call to fail, but it succeeded');
}

export async function describeOne(batch: BatchClient, jobId: string): Promise<JobDetail> {
  const { jobs } = await batch.send(new DescribeJobsCommand({ jobs: [jobId] }));
  expect(jobs).toHaveLength(1);
  const [job] = jobs ?? [];
  if (!job) throw new Error(`job ${jobId} not described`);
  return job;
}

export async function submit(
  batch: BatchClient,
  overrides: Partial<SubmitJobCommandInput> = {},
): Promise<string> {
  const { jobId } = await batch.send(
    new SubmitJobCommand({ jobName: 'report', jobQueue: QUEUE, jobDefinition: DEFINITION, ...overrides }),
  );
  if (!jobId) throw new Error('SubmitJob returned no jobId');
  return jobId;
}

export async function listNames(batch: BatchClient, input: ListJobsCommandInput): Promise<string[]> {
  const { jobSummaryList } = await batch.send(new ListJobsCommand(input));
  return (jobSummaryList ?? []).map((summary) => summary.jobName ?? '');
}
