import type { AslDefinition } from './local-state-machine';
/**
 * Reads the state machines out of a synthesized CloudFormation template, as AWS would see them once
 * deployed: the DefinitionString's Fn::Join is joined, and each ARN token (Fn::GetAtt / Ref) becomes a
 * placeholder ARN naming the resource, so a Task's Resource or FunctionName still says what it calls.
 */

export const LOCAL_ACCOUNT = '123456789012';
export const LOCAL_REGION = 'us-east-1';

export type CfnValue = string | number | boolean | null | CfnValue[] | { [key: string]: CfnValue };

export interface CfnResource {
  Type: string;
  Properties?: Record<string, CfnValue>;
  /** CDK writes the construct path here as `aws:cdk:path` (unless path metadata is off). */
  Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  /** Template parameters; a Ref to one with a Default resolves to that default here. */
  Parameters?: Record<string, { Type?: string; Default?: CfnValue }>;
}

/** The definition of one state machine and the logical ids of the resources it refers to. */
export interface SynthesizedStateMachine {
  logicalId: string;
  definition: AslDefinition;
}

/** A name a resource gives itself (e.g. JobQueueName), when it is a plain string in the template. */
function ownName(template: CfnTemplate, logicalId: string, property: string): string {
  const name = template.Resources[logicalId]?.Properties?.[property];
  return typeof name === 'string' ? name : logicalId;
}

/**
 * The placeholder ARN that stands for a resource's ARN token. Batch queues and definitions get ARNs of
 * Batch's own shape (`Ref` of both returns the ARN, CloudFormation resource reference), named as the template
 * names them, so a `Submit Job` task of the same template names a queue and definition the local Batch can
 * register.
 */
export function placeholderArn(template: CfnTemplate, logicalId: string): string {
  const type = template.Resources[logicalId]?.Type;
  switch (type) {
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`;
    case 'AWS::StepFunctions::StateMachine':
      return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${logicalId}`;
    case 'AWS::Batch::JobQueue':
      return `arn:aws:batch:${LOCAL_REGION}:${LOCAL_ACCOUNT}:job-queue/${ownName(template, logicalId, 'JobQueueName')}`;
    case 'AWS::SecretsManager::Secret':
      // Secrets Manager appends six random characters to a secret's name in its ARN.
      return `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:${logicalId}-LoCaL1`;
    case 'AWS::Batch::JobDefinition':
      return `arn:aws:batch:${LOCAL_REGION}:${LOCAL_ACCOUNT}:job-definition/${ownName(template, logicalId, 'JobDefinitionName')}:1`;
    default:
      return `arn:aws:local:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${logicalId}`;
  }
}

/** The logical id of the state machine behind a placeholder ARN, or undefined for anything else. */
export function stateMachineLogicalId(arn: unknown): string | undefined {
  if (typeof arn !== 'string') return undefined;
  const prefix = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:`;
  return arn.startsWith(prefix) ? arn.slice(prefix.length) : undefined;
}

/** The environment variables a Lambda function of the template sets (none for any other resource), unresolved. */
export function functionVariables(
  template: CfnTemplate,
  logicalId: string | undefined,
): Record<string, CfnValue> {
  const properties = template.Resources[logicalId ?? '']?.Properties as
    | { Environment?: { Variables?: Record<string, CfnValue> } }
    | undefined;
  return properties?.Environment?.Variables ?? {};
}

/** A template value as a string, with placeholder ARNs for resources. @throws Error for what has no local value */
export function resolveValue(template: CfnTemplate, value: CfnValue): string {
  return resolve(template, value);
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
    if ('Fn::ImportValue' in value) {
      // Only a deployed stack exports values; nothing local stands for one.
      throw new Error(
        `Fn::ImportValue ${JSON.stringify(value['Fn::ImportValue'])}: a value exported by another deployed stack cannot be read locally`,
      );
    }
    if ('Ref' in value) {
      const ref = value.Ref as string;
      if (ref === 'AWS::Region') return LOCAL_REGION;
      if (ref === 'AWS::AccountId') return LOCAL_ACCOUNT;
      if (ref === 'AWS::Partition') return 'aws';
      if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
      const parameter = template.Parameters?.[ref];
      if (parameter !== undefined) {
        // A deployment may pass another value; locally the template's default is all there is.
        if (parameter.Default === undefined) {
          throw new Error(`Ref ${ref}: a template parameter without a Default has no value locally`);
        }
        return resolve(template, parameter.Default);
      }
      // Ref of a table is its name (CloudFormation resource reference): the logical id stands for it.
      if (template.Resources[ref]?.Type === 'AWS::DynamoDB::Table') return ref;
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

/** One state machine's concrete ASL. @throws Error saying what could not be resolved locally */
export function stateMachineDefinition(template: CfnTemplate, logicalId: string): AslDefinition {
  const resource = template.Resources[logicalId];
  if (resource?.Type !== 'AWS::StepFunctions::StateMachine') {
    throw new Error(`${logicalId} is not a state machine of this template`);
  }
  const definitionString = resource.Properties?.DefinitionString;
  if (definitionString === undefined) {
    throw new Error(`${logicalId} has no DefinitionString (a definition kept in S3 is not read locally)`);
  }
  return JSON.parse(resolve(template, definitionString)) as AslDefinition;
}

/** The logical ids of the template's state machines, in template order. */
export function stateMachineIdsIn(template: CfnTemplate): string[] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::StepFunctions::StateMachine')
    .map(([logicalId]) => logicalId);
}

/** Every state machine in the template, with its concrete ASL. */
export function stateMachinesIn(template: CfnTemplate): SynthesizedStateMachine[] {
  return stateMachineIdsIn(template).map((logicalId) => ({
    logicalId,
    definition: stateMachineDefinition(template, logicalId),
  }));
}

/** The logical id of the Lambda function behind a placeholder ARN, or undefined for anything else. */
export function functionLogicalId(arn: unknown): string | undefined {
  if (typeof arn !== 'string') return undefined;
  const match = /^arn:aws:lambda:[^:]+:\d{12}:function:([^:]+)/.exec(arn);
  return match?.[1];
}

/** What every SDK client of a local run gets: a static region and dummy static credentials (no chain, no IMDS). */
export const LOCAL_CLIENT_SETTINGS = {
  region: LOCAL_REGION,
  credentials: { accessKeyId: 'AKIDLOCALONLY', secretAccessKey: 'local-only-secret' },
} as const;

/** The logical id a `{ Fn::GetAtt: [id, 'Arn'] }` names, or undefined. */
export function getAttId(value: CfnValue | undefined): string | undefined {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'Fn::GetAtt' in value) {
    return (value['Fn::GetAtt'] as string[])[0];
  }
  return undefined;
}

/** A value with every intrinsic resolved the local way (placeholder ARNs, the local region and account). */
export function resolveDeep(template: CfnTemplate, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveDeep(template, item));
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] as string).startsWith('Fn::'))
      return resolveValue(template, value as CfnValue);
    if (keys.length === 1 && keys[0] === 'Ref') return resolveValue(template, value as CfnValue);
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolveDeep(template, item)]));
  }
  return value;
}

/** The ARN of a machine's execution named `name`, in the local account and region. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  const machineName = stateMachineArn.split(':').pop();
  return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${machineName}:${name}`;
}
