import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchEmulator } from '../../lib/local/batch-emulator';
import { LocalStateMachine } from '../../lib/local/local-state-machine';
import {
  LocalWaiter,
  localMachineFor,
  type SynthesizedWaiter,
  synthesizeWaiter,
} from '../../lib/local/local-waiter';
import {
  type ChildExecution,
  nestedExecutionIntegrations,
  START_EXECUTION_SYNC_2,
} from '../../lib/local/nested-executions';
import { seededRandom } from '../../lib/local/seeded-random';
import { VirtualClock } from '../../lib/local/virtual-clock';
import { CAUSE_BUDGET } from '../../waiters';

/**
 * The example pipeline machine from the CDK app, run here: its "Wait For Extract" task starts the waiter's
 * own synthesized machine (startExecution.sync:2), and its "Load: ..." states are the inline fragment.
 */

let synthesized: SynthesizedWaiter;
let emulator: BatchEmulator;
let clock: VirtualClock;

beforeAll(async () => {
  synthesized = synthesizeWaiter();
  clock = new VirtualClock();
  emulator = await BatchEmulator.start({ clock });
});

afterAll(async () => {
  await emulator.stop();
});

async function runPipeline(input: unknown) {
  const waiter = new LocalWaiter({
    synthesized,
    batchEndpoint: emulator.endpoint,
    clock,
    random: seededRandom(5),
  });
  const children: ChildExecution[] = [];
  const pipeline = new LocalStateMachine(synthesized.pipeline as NonNullable<SynthesizedWaiter['pipeline']>);
  const result = await pipeline.run(input, {
    ...waiter.runtime,
    integrations: {
      ...waiter.runtime.integrations,
      ...nestedExecutionIntegrations(
        {
          [synthesized.stateMachineArn]: { machine: localMachineFor(synthesized), runtime: waiter.runtime },
          [synthesized.segment.stateMachineArn]: {
            machine: new LocalStateMachine(synthesized.segment.definition),
            runtime: waiter.runtime,
          },
        },
        children,
      ),
    },
    context: {
      Execution: {
        Id: 'arn:aws:states:us-east-1:123456789012:execution:EtlPipeline:nightly-1',
        Name: 'nightly-1',
      },
    },
  });
  return { result, children };
}

describe('a parent machine using the waiter nested and inline', () => {
  it('gets the nested wait’s job summaries as parsed output, then waits inline for the load job', async () => {
    const extractJobId = emulator.addJob({ durations: { runnable: 30, running: 1_200 } });
    const loadJobId = emulator.addJob({ durations: { runnable: 30, running: 3_000 } });
    const { result, children } = await runPipeline({ extractJobId, load: { jobId: loadJobId } });
    expect(result.status).toBe('SUCCEEDED');
    const output = result.output as {
      extract: { status: string; jobs: { jobId: string; status: string }[] };
      loadWait: { result: { status: string; jobs: { jobId: string }[] } };
    };
    expect(output.extract).toMatchObject({
      status: 'SUCCEEDED',
      jobs: [{ jobId: extractJobId, status: 'SUCCEEDED' }],
    });
    expect(output.loadWait.result).toMatchObject({ status: 'SUCCEEDED', jobs: [{ jobId: loadJobId }] });

    // The child ran as its own execution, associated with the parent, with its own events.
    expect(children).toHaveLength(1);
    const [child] = children;
    expect(child?.input).toEqual({
      jobId: extractJobId,
      AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID:
        'arn:aws:states:us-east-1:123456789012:execution:EtlPipeline:nightly-1',
    });
    expect(child?.executionArn).toMatch(/:execution:BatchJobWaiterStateMachine[0-9A-F]+:/);
    expect(child?.result.entered['JobComplete Poll']).toBeGreaterThan(0);
    expect(child?.result.entered['Load: JobComplete Poll']).toBeUndefined();
    // The inline wait's states are the parent's, under their prefix; the parent never runs the child's.
    expect(result.entered['Load: JobComplete Poll']).toBeGreaterThan(0);
    expect(result.entered['JobComplete Poll']).toBeUndefined();
    // Each execution has its own history: the child's polls are counted in the child's, not the parent's.
    const childPolls = child?.result.lambdaInvocations ?? 0;
    expect(child?.result.historyEvents).toBeGreaterThan(5 * childPolls);
    expect(result.lambdaInvocations).toBe(
      (result.entered['Load: JobExists First Poll'] ?? 0) +
        (result.entered['Load: JobExists Poll'] ?? 0) +
        (result.entered['Load: JobRunning Poll'] ?? 0) +
        (result.entered['Load: JobComplete Poll'] ?? 0),
    );
  });

  it('sees a child failure as States.TaskFailed with the child’s StepWait error, and branches on it', async () => {
    const extractJobId = emulator.addJob({
      durations: { runnable: 5, running: 300 },
      outcome: 'FAILED',
      exitCode: 2,
    });
    const { result, children } = await runPipeline({ extractJobId, load: { jobId: 'never-needed' } });
    expect(children[0]?.result).toMatchObject({ status: 'FAILED', error: 'StepWait.JobFailed' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Pipeline.ExtractFailed');
    // The pipeline raises the whole Cause: the child's DescribeExecution, its stepwait error and cause inside.
    const child = JSON.parse(result.cause as string);
    expect(child).toMatchObject({ Status: 'FAILED', Error: 'StepWait.JobFailed' });
    expect(JSON.parse(child.Cause).jobs[extractJobId]).toMatchObject({ status: 'FAILED', exitCode: 2 });
    expect(result.entered['Extract Error?']).toBe(1);
  });

  it('tells a child timeout from a child failure', async () => {
    const extractJobId = emulator.addJob({ durations: { runnable: 5, running: 200_000 } });
    // The pipeline passes only the job id, so the child's default 24 h deadline applies.
    const { result, children } = await runPipeline({ extractJobId, load: { jobId: 'never-needed' } });
    expect(children[0]?.result).toMatchObject({ status: 'TIMED_OUT', error: 'StepWait.Timeout' });
    expect(result.error).toBe('Pipeline.ExtractTimedOut');
  });

  it('sees the child’s StepWait error name in the Cause of a nested 100-job failure, within the 32,768 cut', async () => {
    const failing = emulator.addJob({
      durations: { runnable: 5, running: 300 },
      outcome: 'FAILED',
      exitCode: 4,
    });
    const others = Array.from({ length: 99 }, () =>
      emulator.addJob({ durations: { runnable: 5, running: 100_000 }, statusReason: 'r'.repeat(300) }),
    );
    const local = new LocalWaiter({
      synthesized,
      batchEndpoint: emulator.endpoint,
      clock,
      random: seededRandom(5),
    });
    const children: ChildExecution[] = [];
    const start = nestedExecutionIntegrations(
      { [synthesized.stateMachineArn]: { machine: localMachineFor(synthesized), runtime: local.runtime } },
      children,
    )[START_EXECUTION_SYNC_2] as NonNullable<ReturnType<typeof nestedExecutionIntegrations>[string]>;
    const caught = await start(
      { StateMachineArn: synthesized.stateMachineArn, Input: { jobIds: [...others, failing] } },
      { stateName: 'Wait For Extract' },
    ).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(caught?.name).toBe('States.TaskFailed');
    // The child's cause keeps to its budget, so its Error (right after Cause) survives the 32,768 cut.
    expect(children[0]?.result.cause?.length).toBeLessThanOrEqual(CAUSE_BUDGET);
    expect(caught?.message).toContain('"Error":"StepWait.JobFailed"');
  });
});
