import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalIdentity } from '../../../lib/local/sigv4-verifier';
import {
  ADMIN,
  ALICE,
  accountClientsAs,
  BOB,
  localRegistryApi,
  registryClientAs,
} from '../../lambdas/local-registry-api';
import { registryTables } from '../../lambdas/local-tables';
import { onlyJson, run } from './harness';

/**
 * `stepwait list --mine | --all` against the registry API on a local function URL that checks SigV4: the
 * CLI signs with the credentials its clients get from the SDK's chain (here each user's local key).
 */
const tables = registryTables();
let api: Awaited<ReturnType<typeof localRegistryApi>>;
const cloudFormation = mockClient(CloudFormationClient);

const as = accountClientsAs;

const start = (who: LocalIdentity, name: string) =>
  registryClientAs(api.url.url, who).call({
    method: 'POST',
    path: '/waits',
    body: { name, waiter: 'waiter', input: { jobId: `job-${name}` } },
  });

beforeAll(async () => {
  api = await localRegistryApi(tables);
  for (const [who, name] of [
    [ALICE, 'alice-nightly'],
    [BOB, 'bob-hourly'],
    [ALICE, 'alice-weekly'],
  ] as const) {
    expect((await start(who, name)).status).toBe(201);
  }
});

afterAll(async () => {
  await api.stop();
  cloudFormation.restore();
});

describe('stepwait list --mine and --all, through the registry API', () => {
  it("lists the caller's own waits, newest first, and nobody else's", async () => {
    const alice = await run('list', ['--mine', '--registry-url', api.url.url, '--json'], {
      factory: as(ALICE),
    });
    expect(alice.code).toBe(0);
    const waits = onlyJson(alice.stdout).waits as { name: string; tethysStatus: string }[];
    expect(waits.map((wait) => wait.name)).toEqual(['alice-weekly', 'alice-nightly']);
    expect(waits.every((wait) => wait.tethysStatus === 'Pending')).toBe(true);

    const bob = await run('list', ['--mine', '--registry-url', api.url.url], { factory: as(BOB) });
    expect(bob.code).toBe(0);
    expect(bob.stdout).toMatch(/^WAIT +NAME +STATUS +STEPWAIT +JOBS +CREATED\n/);
    expect(bob.stdout).toContain('bob-hourly');
    expect(bob.stdout).not.toContain('alice');

    const filtered = await run(
      'list',
      ['--mine', '--registry-url', api.url.url, '--status', 'complete', '--json'],
      { factory: as(ALICE) },
    );
    expect(onlyJson(filtered.stdout)).toMatchObject({ status: 'Complete', waits: [] });
  });

  it('lists every owner’s waits for an admin, with owners; refuses --all to anyone else', async () => {
    const admin = await run('list', ['--all', '--registry-url', api.url.url], { factory: as(ADMIN) });
    expect(admin.code).toBe(0);
    expect(admin.stdout).toMatch(/OWNER\n/);
    expect(admin.stdout).toMatch(/bob-hourly .* user\/bob\n/);
    const refused = await run('list', ['--all', '--registry-url', api.url.url, '--json'], {
      factory: as(BOB),
    });
    expect(refused.code).toBe(1);
    expect(onlyJson(refused.stdout)).toMatchObject({ error: { code: 'RegistryNotAdmin' } });
  });

  it('finds the registry in the stack’s RegistryUrl output, and says when the API refuses the signer', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'StepWaitStack',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [{ OutputKey: 'RegistryUrl', OutputValue: api.url.url }],
        },
      ],
    });
    const found = await run('list', ['--mine', '--json'], { factory: as(BOB) });
    expect(onlyJson(found.stdout)).toMatchObject({ waits: [{ name: 'bob-hourly' }] });
    const stranger = { ...BOB, accessKeyId: 'AKIALOCALSTRANGER001' };
    const forbidden = await run('list', ['--mine', '--json'], { factory: as(stranger) });
    expect(forbidden.code).toBe(1);
    expect(onlyJson(forbidden.stdout)).toMatchObject({
      error: {
        code: 'RegistryForbidden',
        message: expect.stringMatching(
          /lambda:InvokeFunctionUrl and lambda:InvokeFunction .*Registry\.grantUse/,
        ),
      },
    });
  });

  it.each([
    [['--mine', '--all'], /give --mine or --all, not both/],
    [['--registry-url', 'http://127.0.0.1:1/'], /--registry, --registry-url: list with --mine or --all/],
    [['--mine', '--registry-url', 'https://example.com/'], /--registry-url: expected a Lambda function URL/],
    [['--mine', '--status', 'RUNNING_LATE'], /--status: with --mine or --all, expected Pending \| Submitted/],
    [
      ['--mine', '--state-machine-arn', 'arn:aws:states:us-east-1:123456789012:stateMachine:x'],
      /--state-machine-arn: not with --registry/,
    ],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const result = await run('list', args, { factory: as(ALICE) });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
