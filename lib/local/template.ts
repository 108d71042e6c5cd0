import type { AslDefinition } from './local-state-machine';
/**
 * Reads the state machines out of a synthesized CloudFormation template, as AWS would see them once
 * deployed: the DefinitionString's Fn::Join is joined, and each ARN token (Fn::GetAtt / Ref) becomes a
 * placeholder ARN naming the resource, so a Task's Resource or FunctionName still says what it calls.
 */

export const LOCAL_ACCOUNT = '123456789012';
export const LOCAL_REGION = 'us-east-1';

type CfnValue = string | number | boolean | null | CfnValue[] | { [key: string]: CfnValue };

export interface CfnTemplate {
  Resources: Record<string, { Type: string; Properties?: Record<string, CfnValue> }>;
}

/** The definition of one state machine and the logical ids of the resources it refers to. */
export interface SynthesizedStateMachine {
  logicalId: string;
  definition: AslDefinition;
}

/** The placeholder ARN that stands for a resource's ARN token. */
export function placeholderArn(template: CfnTemplate, logicalId: string): string {
  const type = template.Resources[logicalId]?.Type;
  switch (type) {
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`;
    case 'AWS::StepFunctions::StateMachine':
      return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${logicalId}`;
    default:
      return `arn:aws:local:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${logicalId}`;
  }
}

function resolve(template: CfnTemplate, value: CfnValue): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    if ('Fn::Join' in value) {
      const [separator, parts] = value['Fn::Join'] as [string, CfnValue[]];
      return parts.map((part) => resolve(template, part)).join(separator);
    }
    if ('Fn::GetAtt' in value)
      return placeholderArn(template, (value['Fn::GetAtt'] as string[])[0] as string);
    if ('Fn::Select' in value) {
      // Fn::Select of an Fn::Split, as CDK writes a name taken out of an ARN token.
      const [index, list] = value['Fn::Select'] as [number, CfnValue];
      const items = resolveList(template, list);
      const item = items[Number(index)];
      if (item === undefined)
        throw new Error(`Fn::Select index ${index} is outside ${JSON.stringify(items)}`);
      return item;
    }
    if ('Ref' in value) {
      const ref = value.Ref as string;
      if (ref === 'AWS::Region') return LOCAL_REGION;
      if (ref === 'AWS::AccountId') return LOCAL_ACCOUNT;
      if (ref === 'AWS::Partition') return 'aws';
      if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
      return placeholderArn(template, ref);
    }
  }
  throw new Error(`cannot resolve ${JSON.stringify(value).slice(0, 200)} in a state machine definition`);
}

function resolveList(template: CfnTemplate, value: CfnValue): string[] {
  if (Array.isArray(value)) return value.map((item) => resolve(template, item));
  if (value !== null && typeof value === 'object' && 'Fn::Split' in value) {
    const [separator, source] = value['Fn::Split'] as [string, CfnValue];
    return resolve(template, source).split(separator);
  }
  throw new Error(`cannot resolve ${JSON.stringify(value).slice(0, 200)} to a list`);
}

/** Every state machine in the template, with its concrete ASL. */
export function stateMachinesIn(template: CfnTemplate): SynthesizedStateMachine[] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::StepFunctions::StateMachine')
    .map(([logicalId, resource]) => {
      const definitionString = resource.Properties?.DefinitionString;
      if (definitionString === undefined) throw new Error(`${logicalId} has no DefinitionString`);
      return {
        logicalId,
        definition: JSON.parse(resolve(template, definitionString)) as AslDefinition,
      };
    });
}

/** The logical id of the Lambda function behind a placeholder ARN, or undefined for anything else. */
export function functionLogicalId(arn: unknown): string | undefined {
  if (typeof arn !== 'string') return undefined;
  const match = /^arn:aws:lambda:[^:]+:\d{12}:function:([^:]+)/.exec(arn);
  return match?.[1];
}
