/**
 * A job's container as DescribeJobs reports it: the job definition's containerProperties with SubmitJob's
 * containerOverrides applied (Batch API reference, ContainerOverrides, ContainerProperties, ContainerDetail).
 */

import { clientError } from './errors';
import {
  type JsonObject,
  optionalInteger,
  optionalObject,
  optionalObjectList,
  optionalString,
  optionalStringList,
} from './request';

export interface EnvironmentVariable {
  readonly name: string;
  readonly value: string;
}

/** The model's ResourceType. */
export type ResourceType = 'GPU' | 'VCPU' | 'MEMORY';
const RESOURCE_TYPES: readonly string[] = ['GPU', 'VCPU', 'MEMORY'];

export interface ResourceRequirement {
  readonly value: string;
  readonly type: ResourceType;
}

/** The container members the emulator keeps; all optional, as a definition may set none of them. */
export interface ContainerSettings {
  readonly image?: string;
  readonly command?: readonly string[];
  readonly environment?: readonly EnvironmentVariable[];
  readonly resourceRequirements?: readonly ResourceRequirement[];
  /** Deprecated by Batch in favour of resourceRequirements, but still accepted and reported. */
  readonly vcpus?: number;
  readonly memory?: number;
}

/**
 * "Environment variables cannot start with AWS_BATCH; this naming convention is reserved for variables
 * that Batch sets" (ContainerOverrides.environment, ContainerProperties.environment).
 */
const RESERVED_ENVIRONMENT_PREFIX = 'AWS_BATCH';

/** Members of containerOverrides the emulator does not act on, refused rather than silently ignored. */
const UNEMULATED_OVERRIDES = ['instanceType'];

/** SubmitJob's containerOverrides, or undefined when absent. */
export function readContainerOverrides(body: JsonObject): ContainerSettings | undefined {
  const overrides = optionalObject(body, 'containerOverrides');
  if (overrides === undefined) return undefined;
  for (const member of UNEMULATED_OVERRIDES) {
    if (overrides[member] !== undefined && overrides[member] !== null) {
      throw clientError(
        `containerOverrides.${member} applies to multi-node parallel jobs, which the Batch emulator does not run`,
      );
    }
  }
  return readContainer(overrides, 'containerOverrides');
}

/** A job definition's containerProperties (the members the emulator keeps), or undefined when absent. */
export function readContainerProperties(body: JsonObject): ContainerSettings | undefined {
  const properties = optionalObject(body, 'containerProperties');
  if (properties === undefined) return undefined;
  const image = optionalString(properties, 'image');
  return { ...(image === undefined ? {} : { image }), ...readContainer(properties, 'containerProperties') };
}

function readContainer(value: JsonObject, field: string): ContainerSettings {
  const command = optionalStringList(value, 'command');
  const environment = optionalObjectList(value, 'environment')?.map((variable, i) =>
    readEnvironmentVariable(variable, `${field}.environment[${i}]`),
  );
  const resourceRequirements = optionalObjectList(value, 'resourceRequirements')?.map((requirement, i) =>
    readResourceRequirement(requirement, `${field}.resourceRequirements[${i}]`),
  );
  const vcpus = optionalInteger(value, 'vcpus');
  const memory = optionalInteger(value, 'memory');
  return {
    ...(command === undefined ? {} : { command }),
    ...(environment === undefined ? {} : { environment }),
    ...(resourceRequirements === undefined ? {} : { resourceRequirements }),
    ...(vcpus === undefined ? {} : { vcpus }),
    ...(memory === undefined ? {} : { memory }),
  };
}

function readEnvironmentVariable(variable: JsonObject, field: string): EnvironmentVariable {
  const name = optionalString(variable, 'name');
  const value = optionalString(variable, 'value');
  if (name === undefined || value === undefined) throw clientError(`${field} needs a name and a value`);
  if (name.startsWith(RESERVED_ENVIRONMENT_PREFIX)) {
    throw clientError(`${field}: environment variables cannot start with ${RESERVED_ENVIRONMENT_PREFIX}`);
  }
  return { name, value };
}

/** ResourceRequirement: `value` and `type` are required members in the model. */
function readResourceRequirement(requirement: JsonObject, field: string): ResourceRequirement {
  const value = optionalString(requirement, 'value');
  const type = optionalString(requirement, 'type');
  if (value === undefined) throw clientError(`${field}.value is required`);
  if (type === undefined) throw clientError(`${field}.type is required`);
  if (!RESOURCE_TYPES.includes(type)) {
    throw clientError(`${field}.type must be one of ${RESOURCE_TYPES.join(', ')}, got ${type}`);
  }
  return { value, type: type as ResourceType };
}

/**
 * The container a job runs: an override's command replaces the definition's; environment variables are
 * added or replace those of the same name ("You can add new environment variables ... or you can override
 * the existing environment variables"); resource requirements replace those of the same type.
 */
export function containerFor(
  definition: ContainerSettings | undefined,
  overrides: ContainerSettings | undefined,
): ContainerSettings {
  const base = definition ?? {};
  const over = overrides ?? {};
  const environment = mergeBy(base.environment, over.environment, (variable) => variable.name);
  const resourceRequirements = mergeBy(
    base.resourceRequirements,
    over.resourceRequirements,
    (requirement) => requirement.type,
  );
  return {
    ...base,
    ...over,
    ...(environment === undefined ? {} : { environment }),
    ...(resourceRequirements === undefined ? {} : { resourceRequirements }),
  };
}

function mergeBy<T>(
  base: readonly T[] | undefined,
  overrides: readonly T[] | undefined,
  key: (item: T) => string,
): T[] | undefined {
  if (base === undefined && overrides === undefined) return undefined;
  const merged = new Map<string, T>();
  for (const item of [...(base ?? []), ...(overrides ?? [])]) merged.set(key(item), item);
  return [...merged.values()];
}
