import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag (AwsSolutions) findings that are by design, acknowledged on their resource with the reason, next to
 * the code that raises them. Written with CDK's own Validations API, which cdk-nag 3 reads: the library needs
 * no cdk-nag at run time.
 *
 * A wildcard finding is named after the resource exactly as cdk-nag 3 renders it
 * (rules/iam/IAMNoWildcardPermissions): it resolves the policy document in the policy's stack and flattens
 * each resource (utils/flatten-cfn-reference). So the same statement is a different finding in an
 * env-agnostic stack (`arn:<AWS::Partition>:batch:<AWS::Region>:<AWS::AccountId>:job/*`) and in one with an
 * explicit env (`arn:<AWS::Partition>:batch:eu-west-1:111122223333:job/*`); an acknowledgement must name the
 * one its stack produces, or it waives nothing.
 */

/** Pseudo parameters as a flattened env-agnostic ARN spells them, and where a stack keeps each one's value. */
const PSEUDO_PARAMETERS: Readonly<Record<string, (stack: Stack) => string>> = {
  '<AWS::Partition>': (stack) => stack.partition,
  '<AWS::Region>': (stack) => stack.region,
  '<AWS::AccountId>': (stack) => stack.account,
  '<AWS::URLSuffix>': (stack) => stack.urlSuffix,
};

/**
 * Flattens a resolved CloudFormation value as cdk-nag 3's flattenCfnReference does: strings as they are (a
 * Fn::Sub's `${X}` as `<X>`), Fn::Join joined, `<Id>` for a Ref, `<Id.Attr>` for a Fn::GetAtt, a
 * Fn::ImportValue as its export name, and anything else (Fn::Select, Fn::Split, ...) as its JSON.
 */
export function flattenLikeCdkNag(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const node = value as Record<string, unknown>;
  if (node['Fn::Join']) {
    const [delimiter, items] = node['Fn::Join'] as [string, unknown[]];
    return items.map(flattenLikeCdkNag).join(delimiter);
  }
  if (node['Fn::Sub']) return flattenLikeCdkNag(node['Fn::Sub']);
  if (node['Fn::GetAtt']) {
    const [resource, attribute] = node['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenLikeCdkNag(resource)}.${flattenLikeCdkNag(attribute)}>`;
  }
  if (node['Fn::ImportValue']) return flattenLikeCdkNag(node['Fn::ImportValue']);
  if (node.Ref) return `<${flattenLikeCdkNag(node.Ref)}>`;
  return JSON.stringify(value);
}

/**
 * The AwsSolutions-IAM5 finding id of one policy resource (an ARN, tokens and all, exactly as it is in the
 * statement), as cdk-nag renders it for a policy in `scope`'s stack: `Resource::<flattened>`.
 */
export function wildcardFinding(scope: IConstruct, resource: string): string {
  return `Resource::${flattenLikeCdkNag(Stack.of(scope).resolve(resource))}`;
}

/**
 * An `appliesTo` written as for an env-agnostic stack, rendered for `scope`'s stack: each pseudo parameter
 * (`<AWS::Region>`, `<AWS::AccountId>`, `<AWS::Partition>`, `<AWS::URLSuffix>`) becomes what cdk-nag finds
 * there, the literal value when the stack has an explicit env, else the placeholder itself.
 */
function renderedForStack(scope: IConstruct, appliesTo: string): string {
  const stack = Stack.of(scope);
  return appliesTo.replace(/<AWS::(Partition|Region|AccountId|URLSuffix)>/g, (placeholder) => {
    const pseudoValue = PSEUDO_PARAMETERS[placeholder] as (stack: Stack) => string;
    return flattenLikeCdkNag(stack.resolve(pseudoValue(stack)));
  });
}

/**
 * Acknowledges one cdk-nag (AwsSolutions) finding on one resource, with the reason, next to the code that
 * needs it. `appliesTo` names the exact finding (e.g. a wildcard resource), so nothing broader is waived; its
 * pseudo parameters may be spelled as in an env-agnostic stack (`<AWS::Region>`, ...): they are rendered for
 * `scope`'s stack. For a resource built from tokens, use `wildcardFinding` or `acknowledgeWildcard`.
 */
export function acknowledge(scope: IConstruct, rule: string, reason: string, appliesTo?: string): void {
  const id = appliesTo === undefined ? rule : `${rule}[${renderedForStack(scope, appliesTo)}]`;
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Acknowledges the AwsSolutions-IAM5 finding of one wildcard `resource` (the ARN exactly as the statement
 * has it) on `scope`, a role or other principal whose policy holds it.
 *
 * Rendered twice: now, for cdk-nag run directly on the construct tree, and again when the app is synthesized.
 * A reference to another stack's resource becomes a Fn::ImportValue only then (CDK prepares the app before
 * it validates it), and cdk-nag 3, a policy validation plugin, reads the policy after that preparation; a
 * construct validation runs in between, so the finding is acknowledged as cdk-nag will see it.
 */
export function acknowledgeWildcard(scope: IConstruct, reason: string, resource: string): void {
  const acknowledged = new Set<string>();
  const acknowledgeAsRendered = (): void => {
    const finding = wildcardFinding(scope, resource);
    if (acknowledged.has(finding)) return;
    acknowledged.add(finding);
    Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
  };
  acknowledgeAsRendered();
  scope.node.addValidation({
    validate: () => {
      acknowledgeAsRendered();
      return [];
    },
  });
}

/** The resource `lambda:InvokeFunction` is granted on besides the function: its versions (`<function ARN>:*`). */
export function functionVersionsArn(fn: lambda.IFunction): string {
  return `${fn.functionArn}:*`;
}

/**
 * `arn:<partition>:states:<region>:<account>:execution:<machine name><suffix>`, built as aws-cdk-lib builds
 * it for a state machine's executions: `*` (startExecution.sync's DescribeExecution and StopExecution) or
 * `:*` (StateMachine.grantRead and grantExecution).
 */
export function executionsArn(
  scope: IConstruct,
  stateMachine: sfn.IStateMachine,
  suffix: '*' | ':*',
): string {
  const stack = Stack.of(scope);
  const name = stack.splitArn(stateMachine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName;
  return stack.formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: `${name}${suffix}`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** The finding for the executions of a state machine (`execution:<name>*`), which startExecution.sync polls. */
export function executionsWildcard(stateMachine: sfn.IStateMachine): string {
  return wildcardFinding(stateMachine, executionsArn(stateMachine, stateMachine, '*'));
}
