import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
  SFNServiceException,
} from '@aws-sdk/client-sfn';
import { CredentialsProviderError } from '@smithy/core/config';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { executionArn, MACHINE_ARN, onlyJson, run } from './harness';

const sfn = mockClient(SFNClient);
const cloudFormation = mockClient(CloudFormationClient);
const root = join(__dirname, '..', '..', '..');

beforeEach(() => {
  sfn.reset();
  cloudFormation.reset();
});

/** What the SDK's default chain throws when it finds no credentials (nothing is sent). */
const noCredentials = () =>
  new CredentialsProviderError('Could not load credentials from any providers', { tryNextLink: false });
/** What the SDK's region chain throws when it finds no region (nothing is sent). */
const noRegion = () => new Error('Region is missing');

const noStackTrace = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at /);

describe('stepwait account commands: missing credentials and region', () => {
  it('says how to configure credentials, exit 2, for every command', async () => {
    sfn.onAnyCommand().rejects(noCredentials());
    cloudFormation.onAnyCommand().rejects(noCredentials());
    for (const [command, args] of [
      ['start', ['--job-id', 'a']],
      ['status', [executionArn('x')]],
      ['list', ['--state-machine-arn', MACHINE_ARN]],
      ['cancel', [executionArn('x')]],
    ] as const) {
      const { code, stderr, stdout } = await run(command, [...args]);
      expect(code, command).toBe(2);
      expect(stderr).toContain(
        `stepwait ${command}: no AWS credentials found (CredentialsProviderError: Could not load credentials from any providers)`,
      );
      expect(stderr).toContain('aws configure');
      expect(stderr).toContain('AWS_PROFILE');
      expect(stderr).toContain('AWS_ACCESS_KEY_ID');
      expect(stderr).toContain('AWS_EC2_METADATA_DISABLED=false');
      expect(stderr).not.toContain('Usage:');
      expect(stdout).toBe('');
      noStackTrace(stderr);
    }
  });

  it('says to set --region or AWS_REGION, exit 2', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(noRegion());
    const { code, stderr } = await run('start', ['--job-id', 'a']);
    expect(code).toBe(2);
    expect(stderr).toBe(
      'stepwait start: no AWS region: set --region or AWS_REGION (or a region in your AWS profile)\n',
    );
  });

  it('--json: the error is the one JSON object on stdout', async () => {
    sfn.on(ListExecutionsCommand).rejects(noRegion());
    const { code, stdout } = await run('list', ['--state-machine-arn', MACHINE_ARN, '--json']);
    expect(code).toBe(2);
    expect(onlyJson(stdout)).toEqual({
      error: { code: 'NoRegion', message: expect.stringContaining('set --region or AWS_REGION') },
    });
    const usage = await run('list', ['--max', '-3', '--json']);
    expect(usage.code).toBe(2);
    expect(onlyJson(usage.stdout)).toMatchObject({ error: { code: 'UsageError' } });
  });
});

describe('stepwait account commands: other errors', () => {
  it("prints another AWS error's name and message, exit 1, no stack trace", async () => {
    sfn.on(DescribeExecutionCommand).rejects(
      new SFNServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message:
          'User: arn:aws:iam::123456789012:user/dev is not authorized to perform: states:DescribeExecution',
      }),
    );
    const { code, stderr, stdout } = await run('status', [executionArn('x'), '--json']);
    expect(code).toBe(1);
    expect(stderr).toBe(
      'stepwait status: AccessDeniedException: User: arn:aws:iam::123456789012:user/dev is not authorized to perform: states:DescribeExecution\n',
    );
    expect(onlyJson(stdout)).toMatchObject({ error: { code: 'AccessDeniedException' } });
  });

  it('adds a hint for expired credentials', async () => {
    sfn.on(DescribeExecutionCommand).rejects(
      new SFNServiceException({
        name: 'ExpiredTokenException',
        $fault: 'client',
        $metadata: {},
        message: 'The security token included in the request is expired',
      }),
    );
    const { code, stderr } = await run('status', [executionArn('x')]);
    expect(code).toBe(1);
    expect(stderr).toContain('ExpiredTokenException: The security token included in the request is expired');
    expect(stderr).toContain('refresh your credentials');
  });

  it('lets a bug through with its stack (the entry point prints it)', async () => {
    await expect(
      run('status', [executionArn('x')], {
        factory: () => {
          throw new TypeError('a bug');
        },
      }),
    ).rejects.toThrowError(TypeError);
  });
});

describe('stepwait, the real command line', () => {
  const stepwait = (args: string[]) =>
    promisify(execFile)('npx', ['tsx', 'bin/stepwait.ts', ...args], {
      cwd: root,
      env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' },
      timeout: 60_000,
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  it('exits 2 on a usage error, before any client exists', async () => {
    const { code, stderr } = await stepwait(['status']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^stepwait status: EXECUTION is missing/);
    expect(stderr).toContain('Usage: stepwait status EXECUTION');
  }, 60_000);

  it('lists the account commands in its usage', async () => {
    const { code, stdout } = await stepwait(['--help']);
    expect(code).toBe(0);
    for (const command of ['local', 'start', 'status', 'list', 'cancel']) {
      expect(stdout).toMatch(new RegExp(`^  ${command} +\\S`, 'm'));
    }
  }, 60_000);
});
