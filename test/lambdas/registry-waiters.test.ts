import { DescribeStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parsePollerConfig } from '../../lambdas/poller-config';
import { REGISTRY_TABLE_ENV } from '../../lambdas/registry/registry-store';
import {
  loadRegistryWaiters,
  parseRegistryWaiters,
  pollerConfigInDefinition,
  REGISTRY_WAITERS_ENV,
} from '../../lambdas/registry/registry-waiters';
import { handler } from '../../lambdas/registry-api';
import { synthesizeWaiter } from '../../lib/local/local-waiter';

const sfnMock = mockClient(SFNClient);
const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:nightly';

beforeEach(() => sfnMock.reset());

describe("the registry API's waiters", () => {
  it('reads each waiter’s config from its deployed definition, where every poll task carries it', async () => {
    const { definition } = synthesizeWaiter();
    const config = pollerConfigInDefinition(definition);
    expect(parsePollerConfig(config).config.stages).toEqual(['JobExists', 'JobRunning', 'JobComplete']);
    // Also inside a Parallel (a fragment in a host machine).
    expect(
      pollerConfigInDefinition({
        States: {
          Both: { Type: 'Parallel', Branches: [{ States: { Other: { Type: 'Pass' } } }, definition] },
        },
      }),
    ).toBe(config);

    sfnMock.on(DescribeStateMachineCommand).resolves({ definition: JSON.stringify(definition) } as never);
    const [waiter] = await loadRegistryWaiters(new SFNClient({ region: 'us-east-1' }), [
      { name: 'nightly', stateMachineArn: ARN },
    ]);
    expect(waiter?.parsed.config).toEqual(JSON.parse(config as string));
    expect(sfnMock.commandCalls(DescribeStateMachineCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: ARN,
    });
  });

  it('refuses a machine with no stepwait poll task, and a waiter list that is not one, by name', async () => {
    sfnMock.on(DescribeStateMachineCommand).resolves({
      definition: JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', End: true } } }),
    } as never);
    await expect(
      loadRegistryWaiters(new SFNClient({ region: 'us-east-1' }), [{ name: 'other', stateMachineArn: ARN }]),
    ).rejects.toThrowError(`waiter other: the definition of ${ARN} has no stepwait poll task`);
    for (const bad of [undefined, 'not json', '{}', '[{"name":"x"}]']) {
      expect(() => parseRegistryWaiters(bad)).toThrowError(
        /STEPWAIT_REGISTRY_WAITERS: expected a JSON list of \{ name, stateMachineArn \}/,
      );
    }
    expect(parseRegistryWaiters(`[{"name":"n","stateMachineArn":"${ARN}"}]`)).toEqual([
      { name: 'n', stateMachineArn: ARN },
    ]);
  });
});

describe('the deployed registry API entry', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    Object.assign(process.env, {
      [REGISTRY_TABLE_ENV]: 'registry',
      [REGISTRY_WAITERS_ENV]: JSON.stringify([{ name: 'nightly', stateMachineArn: ARN }]),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('answers 503 while it cannot read its waiters, and reads them again on the next request', async () => {
    sfnMock
      .on(DescribeStateMachineCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .resolves({ definition: JSON.stringify(synthesizeWaiter().definition) } as never);
    const event = { requestContext: {} } as never;
    const unavailable = await handler(event);
    expect(unavailable).toMatchObject({ statusCode: 503 });
    expect(JSON.parse((unavailable as { body: string }).body).error).toBe('Unavailable');
    // Then the API itself answers: this request carries no IAM identity.
    const refused = await handler(event);
    expect(refused).toMatchObject({ statusCode: 403 });
    expect(JSON.parse((refused as { body: string }).body).error).toBe('CallerNotAllowed');
    expect(sfnMock.commandCalls(DescribeStateMachineCommand)).toHaveLength(2);
    await handler(event);
    expect(sfnMock.commandCalls(DescribeStateMachineCommand)).toHaveLength(2);

    // Five minutes on, a redeployed waiter's rules are read again.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 5 * 60_000 + 1 });
    try {
      expect(await handler(event)).toMatchObject({ statusCode: 403 });
      expect(sfnMock.commandCalls(DescribeStateMachineCommand)).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });
});
