import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { AirbyteJobs } from '../../lib/airbyte/airbyte-jobs';
import { DqopsJobs } from '../../lib/dqops/dqops-jobs';
import { JobWaiter, type JobWaiterProps } from '../../lib/job-waiter';
import { type CfnTemplate, stateMachinesIn } from '../../lib/local/template';
import { PollerFunction } from '../../lib/poller-function';
import { StepWaitStack } from '../../lib/stepwait-stack';
import { StepWaitValidationError } from '../../lib/validation-error';
import { JobWaitFragment } from '../../lib/wait-fragment';
import { DQOPS_DEFAULT_DELAYS } from '../../waiters';

function newStack(id = 'App'): Stack {
  return new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), id);
}

function dqopsWaiter(stack: Stack, props: Partial<JobWaiterProps> = {}) {
  const apiKey = new secretsmanager.Secret(stack, 'DqopsApiKey');
  const waiter = new JobWaiter(stack, 'ChecksWaiter', {
    jobSystem: new DqopsJobs({ baseUrl: 'https://dqops.example.com/', apiKey, failAtSeverity: 'error' }),
    cancelJobOnTimeout: true,
    ...props,
  });
  return { waiter, apiKey };
}

function refusal(build: (stack: Stack) => void): StepWaitValidationError {
  try {
    build(newStack());
  } catch (error) {
    expect(error).toBeInstanceOf(StepWaitValidationError);
    return error as StepWaitValidationError;
  }
  throw new Error('accepted');
}

describe('a JobWaiter for DQOps jobs', () => {
  it('puts the system, its https endpoint, its delays and failAtSeverity into the poller config', () => {
    const { waiter } = dqopsWaiter(newStack());
    const config = waiter.fragment.pollerConfig;
    expect(config).toMatchObject({ system: 'dqops', endpoint: 'https://dqops.example.com' });
    expect(config.delays).toEqual(DQOPS_DEFAULT_DELAYS);
    expect(JSON.stringify(config.model.waiters.JobComplete)).toContain('severityRank >= `2`');
    expect(config.model.waiters.JobComplete?.operation).toBe('GetJob');
  });

  it('lets its poller call that endpoint with that secret and read that secret only', () => {
    const stack = newStack();
    dqopsWaiter(stack);
    const template = Template.fromStack(stack);
    const pollers = template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { STEPWAIT_ENDPOINTS: Match.anyValue() } } },
    });
    expect(Object.keys(pollers)).toHaveLength(1);
    const endpoints = JSON.stringify(
      Object.values(pollers)[0]?.Properties.Environment.Variables.STEPWAIT_ENDPOINTS,
    );
    expect(endpoints).toContain('https://dqops.example.com');
    expect(endpoints).toContain('DqopsApiKey');
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Resource: { Ref: Match.stringLikeRegexp('^DqopsApiKey') },
          }),
        ]),
      },
    });
  });

  it('gives its poller no Batch permission, and refuses granting --terminate-job (Batch’s) on it', () => {
    const stack = newStack();
    const { waiter } = dqopsWaiter(stack);
    const policies = JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
    expect(policies).not.toContain('batch:DescribeJobs');
    const operators = new iam.Role(stack, 'Operators', { assumedBy: new iam.AccountRootPrincipal() });
    expect(() => waiter.grantCancel(operators, { terminateJobs: true })).toThrow(
      /grantCancel.terminateJobs: expected false/,
    );
    waiter.grantCancel(operators);
  });

  it('leaves cancelling to the poller: no TerminateJob step, even with cancelJobOnTimeout', () => {
    const stack = newStack();
    dqopsWaiter(stack);
    for (const { definition } of stateMachinesIn(Template.fromStack(stack).toJSON() as CfnTemplate)) {
      expect(Object.keys(definition.States)).not.toContain('Terminate Jobs');
    }
  });

  it('passes cdk-nag’s AwsSolutions checks with no finding of its own', () => {
    const stack = newStack();
    dqopsWaiter(stack);
    const report = new AwsSolutionsChecks(stack).validateScope(stack);
    const ours = report.violations.filter(({ violatingResources }) =>
      violatingResources.some(({ constructPath }) => constructPath?.startsWith('App/ChecksWaiter')),
    );
    expect(ours.map(({ ruleName }) => ruleName)).toEqual([]);
  });

  it('places the poller in a VPC when asked', () => {
    const stack = newStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 1, natGateways: 0 });
    dqopsWaiter(stack, { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { STEPWAIT_ENDPOINTS: Match.anyValue() } },
      VpcConfig: { SubnetIds: Match.anyValue(), SecurityGroupIds: Match.anyValue() },
    });
    const report = new AwsSolutionsChecks(stack).validateScope(stack);
    const ours = report.violations.filter(({ violatingResources }) =>
      violatingResources.some(({ constructPath }) => constructPath?.startsWith('App/ChecksWaiter')),
    );
    expect(ours.map(({ ruleName }) => ruleName)).toEqual([]);
  });
});

describe('DQOps mistakes refused at synth, by construct path and prop', () => {
  const cases: [string, (stack: Stack) => void, string, RegExp][] = [
    [
      'an http base URL',
      (stack) =>
        new JobWaiter(stack, 'W', { jobSystem: new DqopsJobs({ baseUrl: 'http://localhost:8888' }) }),
      'jobSystem.baseUrl',
      /https URL/,
    ],
    [
      'a base URL only known at deploy time',
      (stack) =>
        new JobWaiter(stack, 'W', {
          jobSystem: new DqopsJobs({ baseUrl: new secretsmanager.Secret(stack, 'S').secretArn }),
        }),
      'jobSystem.baseUrl',
      /literal https URL/,
    ],
    [
      'failAtSeverity valid (every run would fail)',
      (stack) =>
        new JobWaiter(stack, 'W', {
          jobSystem: new DqopsJobs({ baseUrl: 'https://dq.example.com', failAtSeverity: 'valid' as never }),
        }),
      'jobSystem.failAtSeverity',
      /warning, error or fatal, got "valid"/,
    ],
    [
      'submit, which only Batch has',
      (stack) =>
        new JobWaiter(stack, 'W', {
          jobSystem: new DqopsJobs({ baseUrl: 'https://dq.example.com' }),
          submit: { jobDefinition: 'etl', jobQueue: 'q' },
        }),
      'submit',
      /cannot submit DQOps jobs/,
    ],
    [
      'a poller that is not a PollerFunction',
      (stack) => {
        const poller = new lambda.Function(stack, 'Plain', {
          runtime: lambda.Runtime.NODEJS_22_X,
          handler: 'index.handler',
          code: lambda.Code.fromInline('exports.handler = async () => ({})'),
        });
        new JobWaitFragment(stack, 'W', {
          poller,
          jobSystem: new DqopsJobs({ baseUrl: 'https://dq.example.com' }),
        });
      },
      'poller',
      /a stepwait PollerFunction/,
    ],
  ];
  for (const [what, build, prop, detail] of cases) {
    it(`refuses ${what}, naming ${prop}`, () => {
      const error = refusal(build);
      expect(error.prop).toBe(prop);
      expect(error.message.startsWith('App/W: ')).toBe(true);
      expect(error.detail).toMatch(detail);
    });
  }

  it('refuses one endpoint with two secrets on one poller', () => {
    const stack = newStack();
    const poller = new PollerFunction(stack, 'Poller');
    const fragment = (id: string) =>
      new JobWaitFragment(stack, id, {
        poller,
        jobSystem: new DqopsJobs({
          baseUrl: 'https://dq.example.com',
          apiKey: new secretsmanager.Secret(stack, `${id}Key`),
        }),
      });
    fragment('A');
    expect(() => fragment('B')).toThrow(/one secret per endpoint/);
  });
});

describe('the DQOps example stack (stepwait local --system dqops)', () => {
  it('passes cdk-nag’s AwsSolutions checks with every finding of its own acknowledged', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new StepWaitStack(app, 'DqopsExample', { system: 'dqops' });
    expect(stack.waiter.fragment.pollerConfig.system).toBe('dqops');
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map(({ ruleName }) => ruleName)).toEqual([]);
  });
});

describe('a JobWaiter for Airbyte syncs', () => {
  it('names the system, its endpoint and trigger-and-wait in the config; its poller reads that secret only', () => {
    const stack = newStack();
    const credentials = new secretsmanager.Secret(stack, 'AirbyteCredentials');
    const waiter = new JobWaiter(stack, 'SyncWaiter', {
      jobSystem: new AirbyteJobs({
        baseUrl: 'https://airbyte.internal/api/public',
        credentials,
        triggerSync: true,
      }),
    });
    expect(waiter.fragment.pollerConfig).toMatchObject({
      system: 'airbyte',
      endpoint: 'https://airbyte.internal/api/public',
      trigger: true,
    });
    const report = new AwsSolutionsChecks(stack).validateScope(stack);
    const ours = report.violations.filter(({ violatingResources }) =>
      violatingResources.some(({ constructPath }) => constructPath?.startsWith('App/SyncWaiter')),
    );
    expect(ours.map(({ ruleName }) => ruleName)).toEqual([]);
    expect(JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'))).not.toContain(
      'batch:',
    );
  });

  it('refuses trigger-and-wait for a system that cannot trigger, at synth', () => {
    expect(
      () =>
        new JobWaiter(newStack(), 'W', {
          jobSystem: Object.assign(new DqopsJobs({ baseUrl: 'https://dq.example.com' }), { triggers: true }),
        }),
    ).toThrow(/App\/W: jobSystem.triggerSync: expected none: DQOps jobs are not triggered by stepwait/);
  });

  it('deploys the Airbyte example stack clean under cdk-nag', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    new StepWaitStack(app, 'AirbyteExample', { system: 'airbyte' });
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map(({ ruleName }) => ruleName)).toEqual([]);
  });
});
