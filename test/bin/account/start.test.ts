import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseStartOptions, waitInputFor } from '../../../bin/cli/account/start';
import { InvalidInputError } from '../../../lambdas/invalid-input';
import { parseWaitRequest } from '../../../lambdas/wait-request';
import { BATCH_STAGES } from '../../../waiters';
import {
  described,
  executionArn,
  historyNewestFirst,
  MACHINE_ARN,
  NOW,
  onlyJson,
  pollState,
  run,
} from './harness';

const sfn = mockClient(SFNClient);
const cloudFormation = mockClient(CloudFormationClient);

beforeEach(() => {
  sfn.reset();
  cloudFormation.reset();
  sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({
    executionArn: executionArn(input.name),
    startDate: new Date(NOW),
  }));
});

/** What each StartExecution call sent: name, state machine and the input as sent (a JSON string). */
function starts(): { name?: string; stateMachineArn?: string; input?: string }[] {
  return sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);
}

const ARN_ARGS = ['--state-machine-arn', MACHINE_ARN];

describe('stepwait start: the execution input and name', () => {
  it('--job-id: input {"jobId"} under the name job-<id>', async () => {
    const { code, stdout } = await run('start', [
      '--job-id',
      '4c3bd56b-9d0e-4f1a-8b2c-0123456789ab',
      ...ARN_ARGS,
    ]);
    expect(code).toBe(0);
    expect(starts()).toEqual([
      {
        stateMachineArn: MACHINE_ARN,
        name: 'job-4c3bd56b-9d0e-4f1a-8b2c-0123456789ab',
        input: '{"jobId":"4c3bd56b-9d0e-4f1a-8b2c-0123456789ab"}',
      },
    ]);
    expect(stdout).toContain(executionArn('job-4c3bd56b-9d0e-4f1a-8b2c-0123456789ab'));
    expect(stdout).toContain('stepwait status arn:aws:states:');
    // An ARN given: no stack lookup.
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(0);
  });

  it('--job-ids with --timeout and --no-fail-on-timeout: a list, timeoutSeconds, failOnTimeout false', async () => {
    const { code } = await run('start', [
      '--job-ids',
      'aaa, bbb,ccc',
      '--timeout',
      '2h',
      '--no-fail-on-timeout',
      ...ARN_ARGS,
    ]);
    expect(code).toBe(0);
    expect(starts()).toEqual([
      {
        stateMachineArn: MACHINE_ARN,
        name: 'job-aaa-bbb-ccc',
        input: '{"jobIds":["aaa","bbb","ccc"],"timeoutSeconds":7200,"failOnTimeout":false}',
      },
    ]);
  });

  it('--job-name with --job-queue (and --newest): the business key is the name', async () => {
    await run('start', ['--job-name', 'nightly-etl', '--job-queue', 'etl-queue', ...ARN_ARGS]);
    await run('start', [
      '--job-name',
      'nightly_etl-2',
      '--job-queue',
      'arn:aws:batch:us-east-1:123456789012:job-queue/etl',
      '--newest',
      '--timeout',
      '90m',
      ...ARN_ARGS,
    ]);
    expect(starts()).toEqual([
      {
        stateMachineArn: MACHINE_ARN,
        name: 'nightly-etl',
        input: '{"jobName":"nightly-etl","jobQueue":"etl-queue"}',
      },
      {
        stateMachineArn: MACHINE_ARN,
        name: 'nightly_etl-2',
        input:
          '{"jobName":"nightly_etl-2","jobQueue":"arn:aws:batch:us-east-1:123456789012:job-queue/etl","newest":true,"timeoutSeconds":5400}',
      },
    ]);
  });

  it('for a waiter that submits: --parameter pairs, and the queue left to the waiter', async () => {
    await run('start', [
      '--job-name',
      'etl-2026-11-25',
      '--parameter',
      'mode=full',
      '--parameter',
      'day=2026-11-25',
      ...ARN_ARGS,
    ]);
    expect(starts()).toEqual([
      {
        stateMachineArn: MACHINE_ARN,
        name: 'etl-2026-11-25',
        input: '{"jobName":"etl-2026-11-25","parameters":{"mode":"full","day":"2026-11-25"}}',
      },
    ]);
  });

  it('makes a name valid: other characters become "-", a long key is cut and keeps a hash', async () => {
    await run('start', ['--job-id', '4c3bd56b:7', ...ARN_ARGS]);
    const many = Array.from({ length: 5 }, (_, i) => `4c3bd56b-9d0e-4f1a-8b2c-01234567890${i}`);
    await run('start', ['--job-ids', many.join(','), ...ARN_ARGS]);
    await run('start', ['--job-ids', many.slice(0, 4).join(','), ...ARN_ARGS]);
    const [child, five, four] = starts().map((start) => start.name as string);
    expect(child).toBe('job-4c3bd56b-7');
    for (const name of [five, four] as string[]) {
      expect(name).toMatch(/^job-4c3bd56b-9d0e-4f1a-8b2c-012345678900-4c3bd56b[A-Za-z0-9_-]*-[0-9a-f]{8}$/);
      expect(name.length).toBe(80);
    }
    // Same first 71 characters, different keys: different names.
    expect(five).not.toBe(four);
  });

  it('takes the next name while the name is taken: the start time, then -2', async () => {
    const taken = new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} });
    sfn
      .on(StartExecutionCommand)
      .rejectsOnce(taken)
      .rejectsOnce(taken)
      .callsFake((input: { name: string }) => ({
        executionArn: executionArn(input.name),
        startDate: new Date(NOW),
      }));
    const { code, stdout } = await run('start', [
      '--job-name',
      'nightly-etl',
      '--job-queue',
      'q',
      ...ARN_ARGS,
      '--json',
    ]);
    expect(code).toBe(0);
    expect(starts().map((start) => start.name)).toEqual([
      'nightly-etl',
      'nightly-etl-20250611T021500Z',
      'nightly-etl-20250611T021500Z-2',
    ]);
    // Same input every time: only the name changes.
    expect(new Set(starts().map((start) => start.input)).size).toBe(1);
    expect(onlyJson(stdout)).toMatchObject({
      name: 'nightly-etl-20250611T021500Z-2',
      executionArn: executionArn('nightly-etl-20250611T021500Z-2'),
      input: { jobName: 'nightly-etl', jobQueue: 'q' },
    });
  });

  it('gives up after five taken names with exit code 1', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'taken', $metadata: {} }));
    const { code, stderr } = await run('start', ['--job-id', 'abc', ...ARN_ARGS]);
    expect(code).toBe(1);
    expect(starts()).toHaveLength(5);
    expect(stderr).toMatch(/every execution name tried is taken \(job-abc, job-abc-20250611T021500Z,/);
  });

  it('prints exactly one JSON object with --json', async () => {
    const { code, stdout, stderr } = await run('start', ['--job-id', 'abc', ...ARN_ARGS, '--json']);
    expect(code).toBe(0);
    expect(onlyJson(stdout)).toEqual({
      executionArn: executionArn('job-abc'),
      name: 'job-abc',
      stateMachineArn: MACHINE_ARN,
      startDate: new Date(NOW).toISOString(),
      input: { jobId: 'abc' },
    });
    expect(stderr).toBe('');
  });
});

describe('stepwait start: the state machine', () => {
  const stack = (outputs: { OutputKey: string; OutputValue: string }[]) => ({
    Stacks: [
      {
        StackName: 'StepWaitStack',
        StackStatus: 'CREATE_COMPLETE' as const,
        CreationTime: new Date(NOW),
        Outputs: outputs,
      },
    ],
  });

  it('reads the ARN from the output StateMachineArn of stack StepWaitStack, or of --stack', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves(
      stack([
        { OutputKey: 'Other', OutputValue: 'x' },
        { OutputKey: 'StateMachineArn', OutputValue: MACHINE_ARN },
      ]),
    );
    expect((await run('start', ['--job-id', 'abc'])).code).toBe(0);
    expect((await run('start', ['--job-id', 'abc', '--stack', 'WaitersProd'])).code).toBe(0);
    expect(cloudFormation.commandCalls(DescribeStacksCommand).map((call) => call.args[0].input)).toEqual([
      { StackName: 'StepWaitStack' },
      { StackName: 'WaitersProd' },
    ]);
    expect(starts().map((start) => start.stateMachineArn)).toEqual([MACHINE_ARN, MACHINE_ARN]);
  });

  it('names the stack and output when the output is missing (exit 2, nothing started)', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves(stack([{ OutputKey: 'QueueArn', OutputValue: 'x' }]));
    const { code, stderr } = await run('start', ['--job-id', 'abc']);
    expect(code).toBe(2);
    expect(stderr).toContain('stack "StepWaitStack" has no output StateMachineArn (its outputs: QueueArn)');
    expect(stderr).toContain('--state-machine-arn');
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(starts()).toHaveLength(0);
  });

  it('names the stack and region when the stack does not exist (exit 2)', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Stack with id StepWaitStack does not exist',
      }),
    );
    const { code, stderr, stdout } = await run('start', ['--job-id', 'abc', '--json']);
    expect(code).toBe(2);
    expect(stderr).toContain('stack "StepWaitStack" not found in us-east-1 (looked up with DescribeStacks)');
    expect(onlyJson(stdout)).toEqual({
      error: { code: 'StackNotFound', message: expect.stringContaining('StepWaitStack') },
    });
  });

  it('names the ARN and where it came from when the state machine does not exist (exit 2)', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(new StateMachineDoesNotExist({ message: 'State Machine Does Not Exist', $metadata: {} }));
    const { code, stderr } = await run('start', ['--job-id', 'abc', ...ARN_ARGS]);
    expect(code).toBe(2);
    expect(stderr).toContain(`state machine not found: ${MACHINE_ARN} (from --state-machine-arn)`);
  });

  it('uses the region of --state-machine-arn unless --region says otherwise', async () => {
    const euArn = MACHINE_ARN.replace('us-east-1', 'eu-west-1');
    const inArn = await run('start', ['--job-id', 'abc', '--state-machine-arn', euArn]);
    const given = await run('start', [
      '--job-id',
      'abc',
      '--state-machine-arn',
      euArn,
      '--region',
      'eu-central-1',
    ]);
    cloudFormation
      .on(DescribeStacksCommand)
      .resolves(stack([{ OutputKey: 'StateMachineArn', OutputValue: MACHINE_ARN }]));
    const fromStack = await run('start', ['--job-id', 'abc', '--region', 'ap-southeast-2']);
    expect(inArn.clientOptions).toEqual([{ region: 'eu-west-1' }]);
    expect(given.clientOptions).toEqual([{ region: 'eu-central-1' }]);
    expect(fromStack.clientOptions).toEqual([{ region: 'ap-southeast-2' }]);
  });
});

describe('stepwait start --wait', () => {
  const NAME = 'job-job-1';

  /** DescribeExecution: RUNNING `rounds` times, then `end`; the history shows the wait moving on meanwhile. */
  function runsThenEnds(end: Record<string, unknown>, rounds = 2): void {
    let describe = sfn.on(DescribeExecutionCommand);
    for (let round = 0; round < rounds; round++) {
      describe = describe.resolvesOnce(described(NAME, { status: 'RUNNING' }) as never);
    }
    describe.resolves(described(NAME, { stopDate: new Date(NOW), ...end }) as never);
    sfn
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({
        events: historyNewestFirst(
          pollState({ stageIndex: 1, attempt: 2, jobs: [{ jobId: 'job-1', status: 'RUNNABLE' }] }),
        ),
      })
      .resolves({ events: historyNewestFirst(pollState()) });
  }

  const output = (fields: Record<string, unknown>) =>
    JSON.stringify({
      status: 'SUCCEEDED',
      timedOut: false,
      jobs: [{ jobId: 'job-1', status: 'SUCCEEDED', exitCode: 0, attempts: 1 }],
      stages: [
        { waiter: 'JobExists', attempts: 1 },
        { waiter: 'JobRunning', attempts: 3 },
        { waiter: 'JobComplete', attempts: 9 },
      ],
      waitedSeconds: 3_600,
      ...fields,
    });

  it('follows to SUCCEEDED: a status line per change on stderr, sleeping between polls, exit 0', async () => {
    runsThenEnds({ status: 'SUCCEEDED', output: output({}) }, 3);
    const { code, stdout, stderr, sleeps } = await run('start', ['--job-id', 'job-1', '--wait', ...ARN_ARGS]);
    expect(code).toBe(0);
    expect(sleeps).toEqual([10_000, 10_000, 10_000]);
    // Not a terminal: the "started" line, then a line per change (the third round changed nothing).
    expect(stderr.trim().split('\n')).toHaveLength(3);
    expect(stderr).toMatch(/^started job-job-1; following it/);
    expect(stderr).toContain(
      'job-job-1: RUNNING, JobRunning attempt 2, job RUNNABLE, waited 1h 0m 0s, deadline in 22h 45m 5s',
    );
    expect(stderr).toContain('job-job-1: RUNNING, JobComplete attempt 4, job RUNNING');
    expect(stdout).toMatch(/^execution +job-job-1$/m);
    expect(stdout).toMatch(/^status +SUCCEEDED$/m);
    expect(stdout).toMatch(/^attempts +JobExists 1, JobRunning 3, JobComplete 9$/m);
    expect(stdout).toMatch(/^job +job-1 SUCCEEDED: exit code 0$/m);
  });

  it('redraws one line in place on a terminal and clears it at the end', async () => {
    runsThenEnds({ status: 'SUCCEEDED', output: output({}) });
    const { stderr } = await run('start', ['--job-id', 'job-1', '--wait', ...ARN_ARGS], { live: true });
    expect(stderr.split('\r\x1b[2K')).toHaveLength(4);
    expect(stderr.endsWith('\r\x1b[2K')).toBe(true);
  });

  /** The lines drawn on a terminal: what comes between the erase sequences, without the final erase. */
  const drawn = (stderr: string) =>
    stderr
      .split('\r\x1b[2K')
      .slice(1)
      .filter((line) => line !== '');

  it('fits the redrawn line to an 80-column terminal, keeping stage, attempt and the job status', async () => {
    runsThenEnds({ status: 'SUCCEEDED', output: output({}) });
    const { stderr } = await run('start', ['--job-id', 'job-1', '--wait', ...ARN_ARGS], {
      live: true,
      columns: 80,
    });
    const lines = drawn(stderr);
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      // One short of the width: a full-width line makes some terminals wrap, and \r then erases one row.
      expect(line.length).toBeLessThanOrEqual(79);
      expect(line).not.toContain('\n');
    }
    // Status and name are the first to go (the "started" line above names the execution).
    expect(lines[0]).toBe('JobRunning attempt 2, job RUNNABLE, waited 1h 0m 0s, deadline in 22h 45m 5s');
    expect(lines[1]).toMatch(/^JobComplete attempt 4, job RUNNING, /);
  });

  it('cuts the line with an ellipsis on a very narrow terminal, and assumes 80 columns if it does not say', async () => {
    runsThenEnds({ status: 'SUCCEEDED', output: output({}) });
    const narrow = drawn(
      (await run('start', ['--job-id', 'job-1', '--wait', ...ARN_ARGS], { live: true, columns: 20 })).stderr,
    );
    expect(narrow).toEqual(['JobRunning attempt…', 'JobComplete attemp…']);

    sfn.reset();
    sfn.on(StartExecutionCommand).resolves({ executionArn: executionArn(NAME), startDate: new Date(NOW) });
    runsThenEnds({ status: 'SUCCEEDED', output: output({}) });
    const unsaid = drawn(
      (await run('start', ['--job-id', 'job-1', '--wait', ...ARN_ARGS], { live: true })).stderr,
    );
    expect(unsaid.every((line) => line.length <= 79)).toBe(true);
  });

  it('prints whole plain lines when stderr is not a terminal, whatever its width', async () => {
    runsThenEnds({ status: 'SUCCEEDED', output: output({}) });
    const { stderr } = await run('start', ['--job-id', 'job-1', '--wait', ...ARN_ARGS], { columns: 40 });
    expect(stderr).not.toContain('\r');
    expect(stderr).not.toContain('\x1b');
    expect(stderr).toContain(
      'job-job-1: RUNNING, JobRunning attempt 2, job RUNNABLE, waited 1h 0m 0s, deadline in 22h 45m 5s\n',
    );
  });

  const outcomes: [string, Record<string, unknown>, number, Record<string, unknown>][] = [
    ['SUCCEEDED', { status: 'SUCCEEDED', output: output({}) }, 0, { stage: 'JobComplete', attempt: 9 }],
    [
      'TIMED_OUT (normal end, timedOut: true)',
      { status: 'SUCCEEDED', output: output({ status: 'TIMED_OUT', timedOut: true }) },
      0,
      { status: 'TIMED_OUT', executionStatus: 'SUCCEEDED' },
    ],
    [
      'TIMED_OUT (StepWait.Timeout)',
      {
        status: 'FAILED',
        error: 'StepWait.Timeout',
        cause: JSON.stringify({
          reason: 'deadline 2025-06-11T02:14:00.000Z passed while waiting in JobComplete',
          jobs: {},
        }),
      },
      1,
      {
        status: 'TIMED_OUT',
        executionStatus: 'FAILED',
        error: 'StepWait.Timeout',
        reason: expect.stringMatching(/^deadline/),
      },
    ],
    [
      'FAILED',
      {
        status: 'FAILED',
        error: 'StepWait.JobFailed',
        cause: JSON.stringify({
          reason: 'JobComplete: job job-1 failed',
          jobs: { 'job-1': { status: 'FAILED' } },
        }),
      },
      1,
      { status: 'FAILED', error: 'StepWait.JobFailed', reason: 'JobComplete: job job-1 failed' },
    ],
    ['ABORTED', { status: 'ABORTED' }, 1, { status: 'ABORTED', executionStatus: 'ABORTED' }],
    [
      'TIMED_OUT (the backstop)',
      { status: 'TIMED_OUT' },
      1,
      { status: 'TIMED_OUT', executionStatus: 'TIMED_OUT' },
    ],
  ];

  it.each(outcomes)('follows to %s', async (_name, end, exitCode, expected) => {
    runsThenEnds(end);
    const { code, stdout, stderr, sleeps } = await run('start', [
      '--job-id',
      'job-1',
      '--wait',
      '--json',
      ...ARN_ARGS,
    ]);
    expect(code).toBe(exitCode);
    expect(sleeps).toHaveLength(2);
    expect(onlyJson(stdout)).toMatchObject({
      executionArn: executionArn(NAME),
      name: NAME,
      status: expected.status ?? 'SUCCEEDED',
      input: { jobId: 'job-1' },
      waitedSeconds: 3_600,
      ...expected,
    });
    // --json: no status line.
    expect(stderr).toBe('');
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(3);
  });
});

describe('stepwait start: usage errors', () => {
  const cases: [string[], RegExp][] = [
    [[], /give exactly one of --job-id, --job-ids, or --job-name with --job-queue/],
    [['--job-id', 'a', '--job-name', 'b', '--job-queue', 'q'], /give exactly one of .* \(got several\)/],
    [['--job-name', 'nightly', '--parameter', 'novalue'], /--parameter: expected name=value, got "novalue"/],
    [['--job-id', 'a', '--job-queue', 'q'], /--job-queue goes with --job-name/],
    [['--job-id', 'a', '--newest'], /--newest goes with --job-name/],
    [['--job-ids', 'a,,b'], /--job-ids: expected job ids separated by commas/],
    [
      ['--job-ids', Array.from({ length: 101 }, (_, i) => `j${i}`).join(',')],
      /at most 100 job ids per wait, got 101/,
    ],
    [['--job-id', 'a', '--timeout', '0'], /--timeout: must be at least 1/],
    [['--job-id', 'a', '--timeout', 'soon'], /--timeout: expected whole seconds or a duration/],
    [['--job-id', ''], /--job-id: must not be empty/],
    [
      ['--job-id', 'a', '--state-machine-arn', 'arn:aws:lambda:us-east-1:1:function:f'],
      /--state-machine-arn: expected arn:aws:states/,
    ],
    [['--job-id', 'a', '--stack', 'S', ...ARN_ARGS], /give --state-machine-arn or --stack, not both/],
    [['--job-id', 'a', '--region', 'Virginia'], /--region: expected a region name/],
    [['--job-id', 'a', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['--job-id', 'a', 'extra'], /Unexpected argument 'extra'|unexpected argument "extra"/],
  ];

  it.each(cases)('%j exits 2 with the message and the usage, calling nothing', async (args, message) => {
    const { code, stderr, stdout } = await run('start', args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toContain('Usage: stepwait start');
    expect(stdout).toBe('');
    expect(sfn.calls()).toHaveLength(0);
    expect(cloudFormation.calls()).toHaveLength(0);
  });

  it('prints the usage for --help, exit 0', async () => {
    const { code, stdout } = await run('start', ['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: stepwait start');
    expect(parseStartOptions(['-h'])).toBe('help');
  });

  it('allows as many ids as the state machine does: 100 (DescribeJobs takes at most 100), not 101', () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `job-${i}`);
    const machineParses = (input: unknown) => parseWaitRequest(input, BATCH_STAGES, 86_400);

    const hundred = parseStartOptions(['--job-ids', ids(100).join(','), ...ARN_ARGS]);
    if (hundred === 'help') throw new Error('parsed as --help');
    // What the command would send is what the machine accepts.
    expect(machineParses(waitInputFor(hundred)).target).toEqual({ jobIds: ids(100) });

    expect(() => parseStartOptions(['--job-ids', ids(101).join(','), ...ARN_ARGS])).toThrowError(
      /--job-ids: at most 100 job ids per wait, got 101/,
    );
    expect(() => machineParses({ jobIds: ids(101) })).toThrowError(InvalidInputError);
    expect(() => machineParses({ jobIds: ids(101) })).toThrowError(/jobIds/);
  });
});
