import { BatchClient } from '@aws-sdk/client-batch';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { ClientFactory } from '../../bin/cli/account/clients';
import { RegistryClient } from '../../bin/cli/account/registry-client';
import { parsePollerConfig } from '../../lambdas/poller-config';
import { createRegistryApi, type RegistryApiDependencies } from '../../lambdas/registry/api';
import type { RegistryStore } from '../../lambdas/registry/registry-store';
import { LocalFunctionUrl } from '../../lib/local/function-url-server';
import { ALICE, BOB, keysOf, OPS } from '../../lib/local/local-users';
import type { LocalIdentity } from '../../lib/local/sigv4-verifier';
import { pollerConfig } from './fixtures';
import type { registryTables } from './local-tables';

/**
 * The registry API on a local function URL with AuthType AWS_IAM, its store in dynalite and StartExecution
 * mocked: for tests of what calls it (the signed client, the CLI). Local access keys stand for principals.
 */
export const REGION = 'us-east-1';
export const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:Waiter';
/** A waiter that submits its jobs (so its waits can be resubmitted). */
export const LOADER = 'arn:aws:states:us-east-1:123456789012:stateMachine:Loader';

export { ALICE, BOB, keysOf, OPS as ADMIN } from '../../lib/local/local-users';

/**
 * The registry API for tests: two waiters (`waiter` on MACHINE; `loader`, which submits, on LOADER), ADMIN as
 * its admin, wait ids counted up from c0000000-0000-4000-8000-000000000001, and Step Functions calls that go
 * to a client the test mocks.
 */
export function testRegistryApi(store: RegistryStore, overrides: Partial<RegistryApiDependencies> = {}) {
  let ids = 0;
  return createRegistryApi({
    store,
    sfn: new SFNClient({ region: REGION, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
    waiters: [
      { name: 'waiter', stateMachineArn: MACHINE, parsed: parsePollerConfig(JSON.stringify(pollerConfig())) },
      {
        name: 'loader',
        stateMachineArn: LOADER,
        parsed: parsePollerConfig(
          JSON.stringify(
            pollerConfig({
              name: 'loader',
              submit: { jobQueue: 'etl', resubmitFailed: false, parameters: {} },
            }),
          ),
        ),
      },
    ],
    adminIds: new Set(['AROAADMINROLEID00001']),
    terminate: async () => [],
    newWaitId: () => `c0000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
    now: Date.now,
    log: () => undefined,
    ...overrides,
  });
}

export async function localRegistryApi(tables: ReturnType<typeof registryTables>) {
  const sfnMock = mockClient(SFNClient);
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'x', startDate: new Date() });
  const store = await tables.store();
  const api = testRegistryApi(store);
  const invocations: LambdaFunctionURLEvent[] = [];
  const url = await LocalFunctionUrl.start(
    (event) => {
      invocations.push(event);
      return api(event);
    },
    { iam: { region: REGION, identities: [ALICE, BOB, OPS] } },
  );
  return {
    url,
    store,
    invocations,
    async stop() {
      await url.stop();
      sfnMock.restore();
    },
  };
}

/** The registry API at `url`, called as `who` (signed with that principal's local key). */
export const registryClientAs = (url: string, who: LocalIdentity, region = REGION) =>
  new RegistryClient(url, keysOf(who), region);

/** The clients the account commands get from a principal's profile: its keys, in the registry's region. */
export const accountClientsAs =
  (who: LocalIdentity): ClientFactory =>
  () => {
    const credentials = keysOf(who);
    return {
      sfn: new SFNClient({ region: REGION, credentials }),
      cloudFormation: new CloudFormationClient({ region: REGION, credentials }),
      batch: new BatchClient({ region: REGION, credentials }),
    };
  };
