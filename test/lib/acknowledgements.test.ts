import { App, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
// cdk-nag's own flattening, which names the findings: stepwait keeps a copy so it needs no cdk-nag at run time.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import { describe, expect, it } from 'vitest';
import {
  acknowledge,
  executionsArn,
  executionsWildcard,
  flattenLikeCdkNag,
  wildcardFinding,
} from '../../lib/acknowledgements';

function acknowledgedIds(stack: Stack): string[] {
  return stack.node
    .findAll()
    .flatMap((construct) => construct.node.metadata)
    .filter((entry) => entry.type === 'aws:cdk:acknowledged-rules')
    .flatMap((entry) => Object.keys(entry.data as Record<string, string>))
    .map((key) => key.replace(/^Annotation::/, ''));
}

const ENV = { account: '111122223333', region: 'eu-west-1' };

describe('flattenLikeCdkNag', () => {
  it('flattens every resolved value as cdk-nag 3 does', () => {
    // Fn::Sub's syntax, written out: `${X}`, which cdk-nag shows as `<X>`.
    const sub = (name: string) => `\${${name}}`;
    const values: unknown[] = [
      'arn:aws:batch:eu-west-1:111122223333:job/*',
      `arn:${sub('AWS::Partition')}:s3:::bucket/*`,
      { Ref: 'AWS::Region' },
      { 'Fn::GetAtt': ['Poller8D8A3186', 'Arn'] },
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Poller8D8A3186', 'Arn'] }, ':*']] },
      { 'Fn::Join': [':', ['arn', { Ref: 'AWS::Partition' }, 'states', { Ref: 'AWS::Region' }]] },
      { 'Fn::ImportValue': 'Shared:ExportsOutputFnGetAttPollerArn' },
      {
        'Fn::Sub': `arn:${sub('AWS::Partition')}:batch:${sub('AWS::Region')}:${sub('AWS::AccountId')}:job/*`,
      },
      { 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: 'Machine' }] }] },
      {
        'Fn::Join': [
          '',
          ['execution:', { 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: 'Machine' }] }] }, '*'],
        ],
      },
      undefined,
    ];
    for (const value of values) expect(flattenLikeCdkNag(value)).toBe(flattenCfnReference(value));
  });
});

describe('findings are named as cdk-nag renders them in the stack', () => {
  it('an env-agnostic stack keeps the pseudo parameters, a stack with env has its literals', () => {
    const app = new App();
    const agnostic = new Stack(app, 'Agnostic');
    const specific = new Stack(app, 'Specific', { env: ENV });
    const job = (stack: Stack) => stack.formatArn({ service: 'batch', resource: 'job', resourceName: '*' });
    expect(wildcardFinding(agnostic, job(agnostic))).toBe(
      'Resource::arn:<AWS::Partition>:batch:<AWS::Region>:<AWS::AccountId>:job/*',
    );
    expect(wildcardFinding(specific, job(specific))).toBe(
      'Resource::arn:<AWS::Partition>:batch:eu-west-1:111122223333:job/*',
    );
  });

  it('acknowledge renders an appliesTo written for an env-agnostic stack for the stack it is in', () => {
    const app = new App();
    const specific = new Stack(app, 'Specific', { env: ENV });
    acknowledge(
      specific,
      'AwsSolutions-IAM5',
      'A test of how the finding id is rendered.',
      'Resource::arn:<AWS::Partition>:batch:<AWS::Region>:<AWS::AccountId>:job/*',
    );
    expect(acknowledgedIds(specific)).toEqual([
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:batch:eu-west-1:111122223333:job/*]',
    ]);
  });

  it('a machine’s executions, as startExecution.sync grants them, with a token name or an imported ARN', () => {
    const app = new App();
    const stack = new Stack(app, 'Specific', { env: ENV });
    const machine = new sfn.StateMachine(stack, 'Machine', {
      definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Nothing')),
    });
    const logicalId = stack.getLogicalId(machine.node.defaultChild as sfn.CfnStateMachine);
    const name = JSON.stringify({ 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: logicalId }] }] });
    expect(executionsWildcard(machine)).toBe(
      `Resource::arn:<AWS::Partition>:states:eu-west-1:111122223333:execution:${name}*`,
    );
    const imported = sfn.StateMachine.fromStateMachineArn(
      stack,
      'Imported',
      'arn:aws:states:eu-west-1:111122223333:stateMachine:nightly',
    );
    expect(wildcardFinding(stack, executionsArn(stack, imported, ':*'))).toBe(
      'Resource::arn:<AWS::Partition>:states:eu-west-1:111122223333:execution:nightly:*',
    );
  });
});
