import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { outcomeOf } from '../../bin/cli/account/outcome';
import { localCommand, parseDelayOption, parseLocalOptions } from '../../bin/cli/local-command';
import { UsageError } from '../../bin/cli/usage-error';

const root = join(__dirname, '..', '..');

/** Runs `stepwait local` in process, capturing what it prints. */
async function runLocal(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await localCommand(args, {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
    live: false,
  });
  return { code, stdout, stderr };
}

function onlyJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] as string);
}

describe('stepwait local --json', () => {
  it('runs the default wait from the real command line: exactly one JSON object on stdout, exit 0', async () => {
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'bin/stepwait.ts', 'local', '--json'], {
      cwd: root,
      env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' },
      timeout: 60_000,
    });
    const report = onlyJson(stdout);
    expect(report).toMatchObject({
      status: 'SUCCEEDED',
      executionStatus: 'SUCCEEDED',
      error: null,
      executions: 1,
      throttledCalls: 0,
    });
    expect(report.output).toMatchObject({
      status: 'SUCCEEDED',
      timedOut: false,
      jobs: [{ status: 'SUCCEEDED' }],
    });
    const polls = report.polls as Record<string, number>;
    expect(Object.keys(polls)).toEqual(['JobExists', 'JobRunning', 'JobComplete']);
    expect(report.lambdaInvocations).toBe(Object.values(polls).reduce((a, b) => a + b, 0));
    // A 2-hour job plus 2 minutes of queue, noticed within one JobComplete delay (at most 120 s).
    expect(report.simulatedSeconds).toBeGreaterThanOrEqual(7_320);
    expect(report.detectionLatencySeconds).toBeLessThanOrEqual(120);
    expect(report.estimatedCostUsd).toBeGreaterThan(0);
    expect(report.historyEvents).toBeLessThan(1_000);
  }, 60_000);

  it('reports a FAILED job with StepWait.JobFailed and exit code 1', async () => {
    const { code, stdout } = await runLocal(['--json', '--outcome', 'FAILED', '--job-duration', '600']);
    expect(code).toBe(1);
    const report = onlyJson(stdout);
    expect(report).toMatchObject({ status: 'FAILED', error: 'StepWait.JobFailed', output: null });
    expect(JSON.parse(report.cause as string).reason).toMatch(/failed/);
    expect(report.detectionLatencySeconds).toEqual(expect.any(Number));
  });

  it('reports TIMED_OUT when the deadline passes first', async () => {
    const { code, stdout } = await runLocal(['--json', '--timeout', '1h']);
    expect(code).toBe(1);
    const report = onlyJson(stdout);
    expect(report).toMatchObject({
      status: 'TIMED_OUT',
      executionStatus: 'FAILED',
      error: 'StepWait.Timeout',
      detectionLatencySeconds: null,
    });
    expect(report.simulatedSeconds).toBeGreaterThanOrEqual(3_600);
    expect(report.simulatedSeconds).toBeLessThan(3_602);
  });

  it('reports TIMED_OUT, like the account CLI, when the deadline passes under --no-fail-on-timeout; exit 0', async () => {
    const { code, stdout } = await runLocal(['--json', '--timeout', '600', '--no-fail-on-timeout']);
    // Exit 0 as `start --wait` does: the execution ended normally, as asked.
    expect(code).toBe(0);
    const report = onlyJson(stdout);
    expect(report).toMatchObject({
      status: 'TIMED_OUT',
      executionStatus: 'SUCCEEDED',
      error: null,
      detectionLatencySeconds: null,
      output: { status: 'TIMED_OUT', timedOut: true },
    });
    const text = await runLocal(['--timeout', '600', '--no-fail-on-timeout']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ +outcome +TIMED_OUT \(Step Functions: SUCCEEDED\)$/m);
  });

  it("maps the outcome with the account CLI's mapping", async () => {
    const { stdout } = await runLocal(['--json', '--timeout', '600']);
    const report = onlyJson(stdout);
    // Step Functions reports the Fail as FAILED; stepwait's outcome is TIMED_OUT, as outcomeOf says.
    expect(report).toMatchObject({
      status: 'TIMED_OUT',
      executionStatus: 'FAILED',
      error: 'StepWait.Timeout',
    });
    expect(outcomeOf({ status: report.executionStatus as string, error: report.error as string })).toBe(
      report.status,
    );
  });

  it('waits for a DQOps job with --system dqops, through the poller environment and secret the template sets', async () => {
    const { code, stdout } = await runLocal([
      '--json',
      '--system',
      'dqops',
      '--job-duration',
      '15m',
      '--throttle',
      '0.3',
      '--seed',
      '2',
    ]);
    expect(code).toBe(0);
    const report = onlyJson(stdout);
    expect(report).toMatchObject({ status: 'SUCCEEDED', error: null, executions: 1 });
    expect(report.throttledCalls).toBeGreaterThan(0);
    expect((report.output as { jobs: unknown[] }).jobs).toEqual([
      expect.objectContaining({
        status: 'finished',
        phase: 'succeeded',
        jobId: expect.stringMatching(/^\d+$/),
      }),
    ]);
    const failed = onlyJson(
      (await runLocal(['--json', '--system', 'dqops', '--outcome', 'FAILED', '--job-duration', '5m'])).stdout,
    );
    expect(failed).toMatchObject({ status: 'FAILED', error: 'StepWait.JobFailed' });
    expect(JSON.parse(failed.cause as string).jobs).toEqual(
      expect.objectContaining({
        [Object.keys(JSON.parse(failed.cause as string).jobs)[0] as string]: expect.objectContaining({
          status: 'failed',
        }),
      }),
    );
  });

  it('parks and is woken by state-change events with --wake-up events, and shows each in the live view', async () => {
    const { code, stdout } = await runLocal(['--json', '--wake-up', 'events', '--job-duration', '3h']);
    expect(code).toBe(0);
    const report = onlyJson(stdout);
    expect(report).toMatchObject({
      status: 'SUCCEEDED',
      wakeUps: { parks: 2, wokenByEvent: 2, timedOut: 0 },
    });
    expect(report.detectionLatencySeconds as number).toBeLessThan(15);
    expect(Object.values(report.polls as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(3);

    const text = await runLocal(['--wake-up', 'events', '--job-duration', '3h', '--outcome', 'FAILED']);
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(/JobComplete +parked \(until an event, or 12h 0m 0s at most\)/);
    expect(text.stderr).toMatch(/event: job FAILED, woke the wait/);
    expect(text.stdout).toMatch(
      /^ +parks +2: 2 woken by events, 0 by the sweeper, 0 at once \(the job had moved\), 0 by their timeout$/m,
    );
  });

  it('records the wait in a registry with --registry: a few writes for dozens of polls, and its end', async () => {
    const { code, stdout } = await runLocal(['--json', '--registry', '--job-duration', '1h']);
    expect(code).toBe(0);
    const report = onlyJson(stdout) as {
      polls: Record<string, number>;
      registry: { writes: number; waits: unknown[] };
    };
    expect(Object.values(report.polls).reduce((a, b) => a + b, 0)).toBeGreaterThan(20);
    expect(report.registry.writes).toBeLessThanOrEqual(5);
    expect(report.registry.waits).toEqual([
      expect.objectContaining({ status: 'SUCCEEDED', tethysStatus: 'Complete', stage: 'JobComplete' }),
    ]);
    const text = await runLocal(['--registry', '--job-duration', '1h', '--outcome', 'FAILED']);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^ +registry +\d writes; Error \(FAILED\)$/m);
  });

  it('keeps waiting through injected throttling and counts the throttled calls', async () => {
    const { code, stdout } = await runLocal([
      '--json',
      '--throttle',
      '0.5',
      '--job-duration',
      '1800',
      '--seed',
      '4',
    ]);
    expect(code).toBe(0);
    const report = onlyJson(stdout);
    expect(report.status).toBe('SUCCEEDED');
    expect(report.throttledCalls).toBeGreaterThan(0);
    const output = report.output as { stages: { attempts: number }[] };
    const attempts = output.stages.reduce((sum, stage) => sum + stage.attempts, 0);
    expect(report.lambdaInvocations).toBe(attempts + (report.throttledCalls as number));
  });

  it('applies --delay to every stage', async () => {
    const { stdout } = await runLocal([
      '--json',
      '--delay',
      'fixed:60',
      '--job-duration',
      '3600',
      '--queue-time',
      '0',
    ]);
    const report = onlyJson(stdout);
    const polls = report.polls as Record<string, number>;
    // One poll sees the job queued; then one every 60 s for an hour.
    expect(polls.JobComplete).toBeGreaterThanOrEqual(59);
    expect(polls.JobComplete).toBeLessThanOrEqual(62);
  });

  it('is reproducible with the same --seed', async () => {
    const first = onlyJson((await runLocal(['--json', '--seed', '9', '--job-duration', '900'])).stdout);
    const second = onlyJson((await runLocal(['--json', '--seed', '9', '--job-duration', '900'])).stdout);
    expect(second.polls).toEqual(first.polls);
    expect(second.simulatedSeconds).toBe(first.simulatedSeconds);
  });

  it('shows why a failed wait failed in text, as --json has it: reason, status reason, exit code, log stream', async () => {
    const { code, stdout } = await runLocal(['--outcome', 'FAILED', '--job-duration', '600']);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^ +outcome +FAILED \(StepWait\.JobFailed\)$/m);
    expect(stdout).toMatch(/^ +reason +JobComplete: job [0-9a-f-]+ failed$/m);
    expect(stdout).toMatch(
      /^ +job +([0-9a-f-]+) FAILED: Essential container in task exited, exit code 1, log stream stepwait-local-job\/default\/\1$/m,
    );
  });

  it('shows why a wait timed out in text, and the job as it was', async () => {
    const failed = await runLocal(['--timeout', '1h']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^ +outcome +TIMED_OUT \(StepWait\.Timeout\)$/m);
    expect(failed.stdout).toMatch(/^ +reason +.*deadline/m);
    expect(failed.stdout).toMatch(
      /^ +job +[0-9a-f-]+ RUNNING: log stream stepwait-local-job\/default\/[0-9a-f-]+$/m,
    );
    const ended = await runLocal(['--timeout', '1h', '--no-fail-on-timeout']);
    expect(ended.code).toBe(0);
    // Ended normally: the jobs come from the output, which also names them.
    expect(ended.stdout).toMatch(
      /^ +job +[0-9a-f-]+ \(stepwait-local-job\) RUNNING: log stream stepwait-local-job\/default\/[0-9a-f-]+$/m,
    );
  });

  it("refuses a --timeout above the waiter's maxTimeout as a bad option (exit 2), before running", async () => {
    // 364 days is the example's maxTimeout (MAX_MAX_TIMEOUT); the first poll would refuse more.
    await expect(runLocal(['--timeout', '400d'])).rejects.toThrowError(UsageError);
    await expect(runLocal(['--timeout', '400d'])).rejects.toThrowError(
      /--timeout: at most 31449600 s \(364d 0h 0m\), the maxTimeout of the example app/,
    );
  });

  it('shows a live view and a summary table without --json', async () => {
    const { code, stdout, stderr } = await runLocal(['--job-duration', '300']);
    expect(code).toBe(0);
    expect(stderr).toMatch(/JobComplete +waiting, job RUNNING/);
    expect(stderr).toMatch(/JobComplete +success after \d+ polls, job SUCCEEDED/);
    for (const row of [
      'outcome',
      'polls per stage',
      'state transitions',
      'history events',
      'detection latency',
      'estimated AWS cost',
    ]) {
      expect(stdout).toContain(row);
    }
  });
});

describe('stepwait local options', () => {
  it('rejects bad options with a clear message', () => {
    const cases: [string[], RegExp][] = [
      [['--outcome', 'MAYBE'], /--outcome: expected SUCCEEDED or FAILED/],
      [['--job-duration', 'two hours'], /--job-duration: expected whole seconds or a duration/],
      [['--timeout', '0'], /--timeout: must be at least 1/],
      [['--delay', 'linear:5'], /--delay: expected fixed/],
      [['--delay', 'exponential:60:5'], /--delay exponential:60:5: maxDelay: must be >= minDelay/],
      [['--delay', 'fixed:0'], /--delay fixed:0: delay: expected whole seconds from 1/],
      [['--delay', 'fixed:5:6'], /--delay fixed:5:6: jitter: must be <= delay \(5\), got 6/],
      [
        ['--delay', 'fixed:-5'],
        /--delay fixed:-5: delay: expected whole seconds from 1 to 31536000, got "-5" \(allowed: fixed:<s>\[:<jitter>\] \(s from 1, jitter from 0 up to s\)/,
      ],
      [
        ['--delay', 'fixed:5:-1'],
        /--delay fixed:5:-1: jitter: expected whole seconds from 0 to 31536000, got "-1"/,
      ],
      [['--delay', 'exponential:-1:5'], /--delay exponential:-1:5: minDelay: expected whole seconds from 1/],
      [['--state-machine', 'X'], /--state-machine: give --app too/],
      [['--input', '{'], /--input: expected JSON/],
      [['--input', '{}', '--timeout', '1h'], /--input: the input is then yours, so put --timeout in it/],
      [['--stub', 'Prepare'], /--stub: expected "<State name>=<JSON result>"/],
      [['--stub', 'Prepare={x'], /--stub "Prepare": the result must be JSON/],
      [['--job-id', 'no spaces'], /--job-id: expected a Batch job id/],
      [['--throttle', '1.5'], /--throttle: expected a fraction/],
      [['--seed=-1'], /--seed: expected a whole number/],
      // A negative value after an option is that option's value, refused by its own check.
      [['--timeout', '-1h'], /--timeout: .*negative/],
      [['--seed', '-1'], /--seed: expected a whole number, got "-1"/],
      [['--seed', 'abc'], /--seed: expected a whole number/],
      [['--frobnicate'], /Unknown option '--frobnicate'/],
      [['--system', 'tethys'], /--system: expected batch, dqops, airbyte, got "tethys"/],
      [['--system', 'dqops', '--app', 'cdk.out'], /--system: not with --app/],
      [
        ['--system', 'dqops', '--job-id', '17', '--job-queue', 'q'],
        /--job-id, --job-queue: not with --system dqops/,
      ],
      [['--wake-up', 'sometimes'], /--wake-up: expected poll or events, got "sometimes"/],
      [['--wake-up', 'events', '--app', 'cdk.out'], /--wake-up: not with --app/],
      [['--system', 'airbyte', '--wake-up', 'events'], /--wake-up: not with --system airbyte/],
      [['--registry', '--app', 'cdk.out'], /--registry: not with --app/],
      [['--system', 'dqops', '--registry'], /--registry: not with --system dqops/],
      [['--speed', '60'], /--speed: only with --ui/],
      [['--ui', '--speed', '0'], /--speed: .*below 1/],
      [['--ui', '--speed', '5000'], /--speed: .*above 3600/],
      [['--ui', '--job-duration', '1h', '--json'], /--ui: not with --job-duration, --json \(it deploys/],
      [['--ui', '--app', 'cdk.out'], /--ui: not with --app/],
    ];
    for (const [args, message] of cases) {
      expect(() => parseLocalOptions(args), args.join(' ')).toThrowError(UsageError);
      expect(() => parseLocalOptions(args), args.join(' ')).toThrowError(message);
    }
  });

  it('takes --ui with --speed, --wake-up and --seed', () => {
    expect(parseLocalOptions(['--ui'])).toMatchObject({ ui: true, speed: 60 });
    expect(parseLocalOptions(['--ui', '--speed', '600', '--wake-up', 'events', '--seed', '3'])).toMatchObject(
      {
        ui: true,
        speed: 600,
        wakeUp: 'events',
        seed: 3,
      },
    );
  });

  it('parses delays and durations', () => {
    expect(parseDelayOption('fixed:30')).toEqual({ kind: 'fixed', delay: 30 });
    expect(parseDelayOption('fixed:300:2')).toEqual({ kind: 'fixed', delay: 300, jitter: 2 });
    expect(parseDelayOption('fixed:2:2')).toEqual({ kind: 'fixed', delay: 2, jitter: 2 });
    expect(parseDelayOption('exponential:5:120')).toEqual({
      kind: 'exponential',
      minDelay: 5,
      maxDelay: 120,
    });
    expect(parseLocalOptions(['--job-duration', '2h', '--queue-time', '90s'])).toMatchObject({
      jobDurationSeconds: 7_200,
      queueSeconds: 90,
    });
  });

  it('exits with code 2 on a bad option from the real command line', async () => {
    const error = await promisify(execFile)(
      'npx',
      ['tsx', 'bin/stepwait.ts', 'local', '--outcome', 'MAYBE'],
      {
        cwd: root,
        timeout: 60_000,
      },
    ).catch((caught: { code: number; stderr: string }) => caught);
    expect(error).toMatchObject({ code: 2 });
    expect((error as { stderr: string }).stderr).toMatch(/--outcome: expected SUCCEEDED or FAILED/);
    expect((error as { stderr: string }).stderr).toMatch(/Usage: stepwait local/);
  }, 60_000);
});
