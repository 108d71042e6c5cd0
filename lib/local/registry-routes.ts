import { REGISTRY_TABLE_ENV } from '../../lambdas/registry/registry-store';
import {
  parseRegistryWaiters,
  REGISTRY_ADMINS_ENV,
  REGISTRY_WAITERS_ENV,
  type RegistryWaiterName,
} from '../../lambdas/registry/registry-waiters';
import { LocalAppError } from './app-error';
import type { EventPattern } from './event-pattern';
import {
  type CfnTemplate,
  type CfnValue,
  functionVariables,
  getAttId,
  resolveDeep,
  resolveValue,
} from './template';

/**
 * A synthesized registry of waits (lib/registry/registry.ts), read from the template as CloudFormation
 * would create it: the API function's environment (its table, waiters and admins), its function URL's auth
 * type, and the EventBridge rule that sends execution ends to the recorder, with its pattern.
 */
export interface RegistryRoutes {
  readonly tableName: string;
  readonly waiters: readonly RegistryWaiterName[];
  /** The admins' unique ids, as the API's environment lists them. */
  readonly adminIds: readonly string[];
  /** The function URL's AuthType (the Registry construct makes it AWS_IAM). */
  readonly authType: string;
  /** The rule that sends the waiters' execution ends to the recorder. */
  readonly ends: { readonly rule: string; readonly pattern: EventPattern };
}

/** @throws LocalAppError if the template has no registry API, or its URL or end rule is missing */
export function registryRoutesIn(template: CfnTemplate): RegistryRoutes {
  const resources = Object.entries(template.Resources);
  const apiId = resources.find(
    ([id, resource]) =>
      resource.Type === 'AWS::Lambda::Function' &&
      functionVariables(template, id)?.[REGISTRY_WAITERS_ENV] !== undefined,
  )?.[0];
  const variables = functionVariables(template, apiId);
  if (apiId === undefined || variables === undefined) {
    throw new LocalAppError(
      `the app has no registry of waits: no function has ${REGISTRY_WAITERS_ENV} (give a JobWaiter the registry prop)`,
    );
  }
  const url = resources.find(
    ([, resource]) =>
      resource.Type === 'AWS::Lambda::Url' &&
      getAttId(resource.Properties?.TargetFunctionArn as CfnValue) === apiId,
  )?.[1];
  const tableValue = variables[REGISTRY_TABLE_ENV];
  if (url === undefined || tableValue === undefined) {
    throw new LocalAppError(`the registry API ${apiId} has no function URL or no table`);
  }
  const ends = resources.find(
    ([, resource]) =>
      resource.Type === 'AWS::Events::Rule' &&
      ((resource.Properties?.Targets as { Arn?: CfnValue }[] | undefined) ?? []).some((target) => {
        const logicalId = getAttId(target.Arn);
        const targetVariables = functionVariables(template, logicalId);
        return logicalId !== apiId && targetVariables?.[REGISTRY_TABLE_ENV] !== undefined;
      }),
  );
  if (ends === undefined) {
    throw new LocalAppError('the registry has no rule sending execution ends to its recorder');
  }
  const admins = resolveValue(template, variables[REGISTRY_ADMINS_ENV] ?? '');
  return {
    tableName: resolveValue(template, tableValue),
    waiters: parseRegistryWaiters(resolveValue(template, variables[REGISTRY_WAITERS_ENV] as CfnValue)),
    adminIds: admins.split(',').filter((id) => id !== ''),
    authType: String(url.Properties?.AuthType ?? 'NONE'),
    ends: {
      rule: ends[0],
      pattern: resolveDeep(template, ends[1].Properties?.EventPattern) as EventPattern,
    },
  };
}
