import { type CfnResource, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges one cdk-nag (AwsSolutions) finding on one resource, with the reason, next to the code that
 * needs it. `appliesTo` names the exact finding (e.g. a wildcard resource), so nothing broader is waived.
 * Written with CDK's own Validations API, which cdk-nag 3 reads: the library needs no cdk-nag at run time.
 */
export function acknowledge(scope: IConstruct, rule: string, reason: string, appliesTo?: string): void {
  Validations.of(scope).acknowledge({ id: appliesTo === undefined ? rule : `${rule}[${appliesTo}]`, reason });
}

function logicalIdOf(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnResource);
}

/** The finding for `lambda:InvokeFunction` on `<function ARN>:*`, which CDK grants so versions can be invoked. */
export function functionVersionsWildcard(fn: IConstruct): string {
  return `Resource::<${logicalIdOf(fn)}.Arn>:*`;
}

/** The finding for the executions of a state machine (`execution:<name>*`), which startExecution.sync polls. */
export function executionsWildcard(stateMachine: IConstruct): string {
  const name = JSON.stringify({
    'Fn::Select': [6, { 'Fn::Split': [':', { Ref: logicalIdOf(stateMachine) }] }],
  });
  return `Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${name}*`;
}
