import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { REGISTRY_TABLE_ENV } from '../../lambdas/registry/registry-store';
import { REGISTRY_ADMINS_ENV, REGISTRY_WAITERS_ENV } from '../../lambdas/registry/registry-waiters';
import { JobWaiter } from '../../lib/job-waiter';
import { Registry } from '../../lib/registry/registry';
import { StepWaitValidationError } from '../../lib/validation-error';

function newStack(): Stack {
  return new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
}

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** The logical id of the one resource of `type` whose id starts with `prefix`. */
function logicalId(resources: Resources, type: string, prefix: string): string {
  const ids = Object.keys(resources).filter((id) => resources[id]?.Type === type && id.startsWith(prefix));
  expect(ids, `${type} ${prefix}*`).toHaveLength(1);
  return ids[0] as string;
}

/** Every statement of the policies attached to the role `roleId`. */
function statementsOf(resources: Resources, roleId: string): { Action: unknown; Resource: unknown }[] {
  return Object.values(resources)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy')
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`))
    .flatMap(
      (policy) =>
        (policy.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] })
          .Statement,
    );
}

/** A resource's Properties, which the test's logical ids must name. */
function propertiesOf(resources: Resources, id: string): Record<string, unknown> {
  const resource = resources[id];
  if (resource === undefined) throw new Error(`no resource ${id}`);
  return resource.Properties;
}

const actionsOf = (statements: { Action: unknown }[]) =>
  statements.flatMap((statement) => [statement.Action].flat() as string[]).sort();

describe('Registry', () => {
  const stack = newStack();
  const admin = new iam.Role(stack, 'Operators', { assumedBy: new iam.AccountRootPrincipal() });
  const registry = new Registry(stack, 'Registry', { admins: [admin, 'AIDAEXAMPLEUSERID0001'] });
  const waiter = new JobWaiter(stack, 'Waiter', {
    waiterName: 'nightly',
    registry,
    submit: { jobDefinition: 'etl-job', jobQueue: 'etl-queue' },
  });
  const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
  registry.grantUse(reader);
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Resources;
  const tableId = logicalId(resources, 'AWS::DynamoDB::Table', 'Registry');
  const apiId = logicalId(resources, 'AWS::Lambda::Function', 'RegistryApi');

  it('keeps waits in a table with the owner and created indexes, TTL for tombstones, and point-in-time recovery', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: 'waitId', KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        GlobalSecondaryIndexes: [
          Match.objectLike({
            IndexName: 'byOwner',
            KeySchema: [
              { AttributeName: 'ownerId', KeyType: 'HASH' },
              { AttributeName: 'listKey', KeyType: 'RANGE' },
            ],
          }),
          Match.objectLike({
            IndexName: 'byCreated',
            KeySchema: [
              { AttributeName: 'listPartition', KeyType: 'HASH' },
              { AttributeName: 'listKey', KeyType: 'RANGE' },
            ],
          }),
        ],
      },
      // The record of who ran what outlives the stack.
      DeletionPolicy: 'Retain',
    });
  });

  it('serves its API at a function URL with AuthType AWS_IAM, naming its waiters and admins by unique id', () => {
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'AWS_IAM',
      TargetFunctionArn: { 'Fn::GetAtt': [apiId, 'Arn'] },
    });
    const variables = (propertiesOf(resources, apiId).Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(variables[REGISTRY_TABLE_ENV]).toEqual({ Ref: tableId });
    const waiters = JSON.stringify(stack.resolve(variables[REGISTRY_WAITERS_ENV]));
    expect(waiters).toContain('nightly');
    expect(waiters).toContain(stack.getLogicalId(waiter.stateMachine.node.defaultChild as never));
    const admins = JSON.stringify(variables[REGISTRY_ADMINS_ENV]);
    expect(admins).toContain('RoleId');
    expect(admins).toContain('AIDAEXAMPLEUSERID0001');
  });

  it('lets the API start and describe only its waiters, stop their executions, and terminate Batch jobs', () => {
    const apiRole = (propertiesOf(resources, apiId).Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    const statements = statementsOf(resources, apiRole as string);
    expect(actionsOf(statements)).toEqual(
      [
        'batch:TerminateJob',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'states:DescribeExecution',
        'states:DescribeStateMachine',
        'states:StartExecution',
        'states:StopExecution',
      ].sort(),
    );
    const start = statements.find((statement) => JSON.stringify(statement.Action).includes('StartExecution'));
    expect(start?.Resource).toEqual({
      Ref: stack.getLogicalId(waiter.stateMachine.node.defaultChild as never),
    });
  });

  it('has the poller write the registry with UpdateItem alone', () => {
    const pollerId = stack.getLogicalId(waiter.pollerFunction.node.defaultChild as never);
    const variables = (
      propertiesOf(resources, pollerId).Environment as { Variables: Record<string, unknown> }
    ).Variables;
    expect(variables[REGISTRY_TABLE_ENV]).toEqual({ Ref: tableId });
    const pollerRole = (propertiesOf(resources, pollerId).Role as { 'Fn::GetAtt': string[] })[
      'Fn::GetAtt'
    ][0];
    const onTable = statementsOf(resources, pollerRole as string).filter((statement) =>
      JSON.stringify(statement.Resource).includes(tableId),
    );
    expect(actionsOf(onTable)).toEqual(['dynamodb:UpdateItem']);
  });

  it('records only the waits of the waiters it serves: their configs say so, a shared poller’s others do not', () => {
    expect(waiter.fragment.pollerConfig.recordedInRegistry).toBe(true);
    expect(waiter.segmentFragment.pollerConfig.recordedInRegistry).toBe(true);
    const other = new JobWaiter(newStack(), 'Unrecorded');
    expect(other.fragment.pollerConfig.recordedInRegistry).toBeUndefined();
  });

  it("records ends of the waiter's main machine from its status-change events, with a dead-letter queue", () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [{ Ref: stack.getLogicalId(waiter.stateMachine.node.defaultChild as never) }],
        },
      },
      Targets: [
        Match.objectLike({
          DeadLetterConfig: Match.anyValue(),
          RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
        }),
      ],
    });
    // A recorder that fails after Lambda accepted the event: retried by Lambda, then the same queue.
    const queueId = logicalId(resources, 'AWS::SQS::Queue', 'RegistryEndsDeadLetterQueue');
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(resources, 'AWS::Lambda::Function', 'RegistryEndRecorder') },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21_600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
  });

  it('grants a user of the API InvokeFunctionUrl and InvokeFunction, both only through the IAM-authorized URL', () => {
    const readerId = stack.getLogicalId(reader.node.defaultChild as never);
    const statements = statementsOf(resources, readerId) as unknown as {
      Action: string;
      Condition: unknown;
    }[];
    expect(statements).toEqual([
      expect.objectContaining({
        Action: 'lambda:InvokeFunctionUrl',
        Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
      }),
      expect.objectContaining({
        Action: 'lambda:InvokeFunction',
        Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
      }),
    ]);
  });
});

describe('Registry mistakes, reported at synth by construct path and prop', () => {
  it('refuses an admin that is not a unique id, or a role whose unique id it cannot read', () => {
    const stack = newStack();
    expect(() => new Registry(stack, 'A', { admins: ['arn:aws:iam::123456789012:role/ops'] })).toThrowError(
      /Test\/A: admins\[0\]: expected the unique id of an IAM user \(AIDA\.\.\.\) or role \(AROA\.\.\.\)/,
    );
    const imported = iam.Role.fromRoleArn(stack, 'Imported', 'arn:aws:iam::123456789012:role/ops');
    const error = (() => {
      try {
        // As a plain-JavaScript app could pass it: the type allows only a Role.
        new Registry(stack, 'B', { admins: ['AROAEXAMPLEROLEID0001', imported as unknown as iam.Role] });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(StepWaitValidationError);
    expect((error as Error).message).toMatch(/admins\[1\]: expected a role defined in this app/);
  });

  it('refuses two waiters of one name, and a registry no waiter uses', () => {
    const stack = newStack();
    const registry = Registry.of(stack);
    expect(Registry.of(stack)).toBe(registry);
    new JobWaiter(stack, 'First', { waiterName: 'nightly', registry });
    expect(() => new JobWaiter(stack, 'Second', { waiterName: 'nightly', registry })).toThrowError(
      /Test\/Second: registry: the registry Test\/StepWaitRegistry already serves a waiter named "nightly"/,
    );
    const unused = newStack();
    new Registry(unused, 'Idle');
    expect(() => Template.fromStack(unused)).toThrowError(/no waiter uses this Registry/);
  });

  it("refuses, at synth, more waiters than the API's 4 KB environment can name once deployed", () => {
    const fits = newStack();
    for (let index = 0; index < 12; index++)
      new JobWaiter(fits, `Waiter${index}`, {
        waiterName: `w${index}`.padEnd(64, 'x'),
        registry: Registry.of(fits),
      });
    expect(() => Template.fromStack(fits)).not.toThrow();
    const crowded = newStack();
    for (let index = 0; index < 20; index++)
      new JobWaiter(crowded, `Waiter${index}`, {
        waiterName: `w${index}`.padEnd(64, 'x'),
        registry: Registry.of(crowded),
      });
    expect(() => Template.fromStack(crowded)).toThrowError(
      /Test\/StepWaitRegistry.*registry: the registry API's environment may need \d+ bytes once deployed for its 20 waiters, over the 4096 Lambda allows/,
    );
  });

  it('refuses a registry in another stack, which would make the two stacks depend on each other', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const registry = new Registry(new Stack(app, 'Shared'), 'Registry');
    expect(() => new JobWaiter(new Stack(app, 'Waits'), 'Waiter', { registry })).toThrowError(
      /Waits\/Waiter: registry: expected a Registry in this waiter's stack \(Waits\), got one in Shared/,
    );
  });
});
