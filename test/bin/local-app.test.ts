import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localCommand } from '../../bin/cli/local-command';
import { UsageError } from '../../bin/cli/usage-error';

/**
 * `stepwait local --app`: a user's own machines, read from the cloud assembly of test/fixtures/consumer-app.ts
 * (synthesized once here, as `cdk synth` would, without path metadata in the templates: the assembly's
 * own metadata names the construct paths), and once from the app command itself.
 */
const root = join(__dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'stepwait-local-app-'));
const cdkOut = join(work, 'cdk.out');
const APP_COMMAND = 'npx tsx test/fixtures/consumer-app.ts';

beforeAll(() => {
  const synth = spawnSync('npx', ['tsx', 'test/fixtures/consumer-app.ts'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    env: {
      ...process.env,
      CDK_OUTDIR: cdkOut,
      CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [] }),
    },
  });
  expect(synth.status, synth.stderr).toBe(0);
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

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

const HOST = ['--state-machine', 'ConsumerStack/LoadPipeline'];
const STUBS = ['--stub', 'Prepare={"rows":5}', '--stub', 'Notify={"MessageId":"local-1"}'];

describe('stepwait local --app <cdk.out>', () => {
  it("runs the user's JobWaiter with the user's delays, not stepwait's defaults", async () => {
    const { code, stdout } = await runLocal([
      '--app',
      cdkOut,
      '--state-machine',
      'ConsumerStack/NightlyEtlWaiter',
      '--json',
      '--job-duration',
      '1h',
      '--queue-time',
      '0',
    ]);
    expect(code).toBe(0);
    const report = onlyJson(stdout);
    expect(report).toMatchObject({ status: 'SUCCEEDED', executions: 1 });
    // JobComplete every 120 +/- 10 s (the app's delays) for an hour: about 30 polls. stepwait's default
    // (exponential 30-120 s, full jitter) would poll about half as often again.
    const polls = report.polls as Record<string, number>;
    expect(polls.JobComplete).toBeGreaterThanOrEqual(27);
    expect(polls.JobComplete).toBeLessThanOrEqual(34);
    expect(report.detectionLatencySeconds).toBeLessThanOrEqual(130);
  });

  it('runs a waiter that submits: the machine looks the business key up, submits to its imported queue, waits', async () => {
    const { code, stdout } = await runLocal([
      '--app',
      cdkOut,
      '--state-machine',
      'SubmittingWaiter',
      '--json',
      '--job-duration',
      '30m',
    ]);
    expect(code).toBe(0);
    const report = onlyJson(stdout);
    expect(report.status).toBe('SUCCEEDED');
    const output = report.output as { jobs: { jobName: string; logStreamName: string }[] };
    // Submitted by the machine's own Submit Job task, with the definition the app names.
    expect(output.jobs).toHaveLength(1);
    expect(output.jobs[0]?.jobName).toBe('stepwait-local-job');
    expect(output.jobs[0]?.logStreamName).toMatch(/^etl-job\/default\//);
    expect(report.detectionLatencySeconds).toEqual(expect.any(Number));
  });

  it("refuses a host machine's own tasks left unstubbed, naming every one, before anything runs", async () => {
    const { code, stderr } = await runLocal(['--app', cdkOut, ...HOST]);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /ConsumerStack\/LoadPipeline has Task states of its own that nothing here can run/,
    );
    expect(stderr).toMatch(/"Prepare" \(arn:aws:states:::lambda:invoke PrepareFunction/);
    expect(stderr).toMatch(/"Notify" \(arn:aws:states:::sns:publish\)/);
    expect(stderr).not.toMatch(/JobExists/);
    const one = await runLocal(['--app', cdkOut, ...HOST, '--stub', 'Prepare={}']);
    expect(one.code).toBe(2);
    expect(one.stderr).toMatch(/"Notify"/);
    expect(one.stderr).not.toMatch(/"Prepare"/);
  });

  it("runs a host machine's fragment with its own tasks stubbed, the request put where the fragment reads it", async () => {
    const { code, stdout } = await runLocal([
      '--app',
      cdkOut,
      ...HOST,
      ...STUBS,
      '--json',
      '--job-duration',
      '20m',
    ]);
    expect(code).toBe(0);
    const report = onlyJson(stdout);
    expect(report.status).toBe('SUCCEEDED');
    // The fragment's states carry its prefix; the Prepare stub counts as the Lambda invocation it stands for.
    const polls = report.polls as Record<string, number>;
    expect(Object.keys(polls)).toEqual(['Load: JobExists', 'Load: JobRunning', 'Load: JobComplete']);
    const pollCount = Object.values(polls).reduce((a, b) => a + b, 0);
    expect(report.lambdaInvocations).toBe(pollCount + 1);
    // The host's state after Notify: the fragment's output (Notify's result discarded).
    expect(report.output).toMatchObject({ status: 'SUCCEEDED', jobs: [{ jobName: 'stepwait-local-job' }] });
  });

  it('takes the execution input and the job id from the command line', async () => {
    const jobId = '0b6d3ef4-1f0e-4a5c-9d2e-7a1b2c3d4e5f';
    const { code, stdout } = await runLocal([
      '--app',
      cdkOut,
      ...HOST,
      ...STUBS,
      '--json',
      '--job-id',
      jobId,
      '--input',
      JSON.stringify({ load: { jobId, timeoutSeconds: 3_600 } }),
      '--job-duration',
      '2h',
    ]);
    // The input's deadline of one hour ends the wait before the two-hour job.
    expect(code).toBe(1);
    const report = onlyJson(stdout);
    expect(report).toMatchObject({ status: 'TIMED_OUT', error: 'StepWait.Timeout' });
    expect(JSON.parse(report.cause as string).jobs).toHaveProperty(jobId);
  });

  it('registers --job-queue in the local Batch: a business key looked up in a queue the app does not name', async () => {
    const input = JSON.stringify({ jobName: 'stepwait-local-job', jobQueue: 'nightly' });
    const args = ['--app', cdkOut, '--state-machine', 'NightlyEtlWaiter', '--json', '--input', input];
    const without = onlyJson((await runLocal([...args, '--job-duration', '10m'])).stdout);
    // Without it the job is in stepwait-local-queue, so the lookup in `nightly` never finds it.
    expect(without).toMatchObject({ status: 'FAILED', error: 'StepWait.JobNotFound' });
    const { code, stdout } = await runLocal([...args, '--job-queue', 'nightly', '--job-duration', '10m']);
    expect(code).toBe(0);
    expect(onlyJson(stdout).status).toBe('SUCCEEDED');
  });

  it('refuses a --state-machine that matches nothing, listing the machines found, or several', async () => {
    const none = await runLocal(['--app', cdkOut, '--state-machine', 'Nightly']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--state-machine "Nightly" matches no state machine of the app/);
    for (const path of [
      'ConsumerStack/NightlyEtlWaiter/StateMachine',
      'ConsumerStack/SubmittingWaiter/StateMachine',
      'ConsumerStack/LoadPipeline',
    ]) {
      expect(none.stderr).toContain(`  ${path} (logical id `);
    }
    const several = await runLocal(['--app', cdkOut, '--state-machine', 'ConsumerStack', '--json']);
    expect(several.code).toBe(2);
    const error = onlyJson(several.stdout).error as { code: string; message: string };
    expect(error.code).toBe('LocalAppError');
    expect(error.message).toMatch(/matches several state machines/);
    expect(error.message).not.toMatch(/SegmentStateMachine/);
    const segment = await runLocal([
      '--app',
      cdkOut,
      '--state-machine',
      'ConsumerStack/NightlyEtlWaiter/SegmentStateMachine',
    ]);
    expect(segment.code).toBe(2);
    expect(segment.stderr).toMatch(/is a segment machine/);
  });

  it('refuses stubs for states it runs itself or that do not exist', async () => {
    const own = await runLocal(['--app', cdkOut, ...HOST, ...STUBS, '--stub', 'Load: JobExists Poll={}']);
    expect(own.code).toBe(2);
    expect(own.stderr).toMatch(/--stub "Load: JobExists Poll": stepwait runs that state itself/);
    const missing = await runLocal(['--app', cdkOut, ...HOST, ...STUBS, '--stub', 'Prepar={}']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /--stub "Prepar": ConsumerStack\/LoadPipeline has no Task state of that name \(its own: "Prepare", "Notify"\)/,
    );
  });

  it("exits 2 for a --timeout above the user's waiter's maxTimeout", async () => {
    await expect(
      runLocal(['--app', cdkOut, '--state-machine', 'NightlyEtlWaiter', '--timeout', '8d']),
    ).rejects.toThrowError(
      /--timeout: at most 604800 s \(7d 0h 0m\), the maxTimeout of ConsumerStack\/NightlyEtlWaiter\/StateMachine; got 691200 s/,
    );
    await expect(
      runLocal(['--app', cdkOut, '--state-machine', 'NightlyEtlWaiter', '--timeout', '8d']),
    ).rejects.toBeInstanceOf(UsageError);
  });
});

describe('stepwait local --app <command>', () => {
  it('synthesizes the app offline and runs the machine', async () => {
    const { code, stdout, stderr } = await runLocal([
      '--app',
      APP_COMMAND,
      '--state-machine',
      'NightlyEtlWaiter',
      '--job-duration',
      '10m',
    ]);
    expect(code, stderr).toBe(0);
    expect(stderr).toContain(`stepwait local: reading your app (${APP_COMMAND})`);
    expect(stderr).toMatch(/ConsumerStack\/NightlyEtlWaiter\/StateMachine: a 10m 0s job/);
    expect(stdout).toMatch(/^ +outcome +SUCCEEDED$/m);
  }, 120_000);

  it('reports an app that fails to synthesize, with its output', async () => {
    const { code, stderr } = await runLocal([
      '--app',
      'node -e "console.error(\'no app here\'); process.exit(3)"',
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/the app exited with code 3:\nno app here/);
  });
});
