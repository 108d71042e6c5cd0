import { DescribeStateMachineCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { isRecord, pollEventOf } from '../../waiters';
import { parsePollerConfig } from '../poller-config';
import type { RegistryWaiter } from './api';

/**
 * Which waiters the registry API starts waits in: `[{ "name": ..., "stateMachineArn": ... }]` in its
 * environment (the Registry construct writes it). Their configs are not there (Lambda environments hold
 * 4 KB in all): each is read from its machine's deployed definition, where every poll task carries it.
 */
export const REGISTRY_WAITERS_ENV = 'STEPWAIT_REGISTRY_WAITERS';
/** The unique ids (`AROA...`, `AIDA...`) of the registry's admins, comma-separated. */
export const REGISTRY_ADMINS_ENV = 'STEPWAIT_REGISTRY_ADMINS';

export interface RegistryWaiterName {
  name: string;
  stateMachineArn: string;
}

/** @throws Error naming the variable when it is not a list of `{ name, stateMachineArn }` */
export function parseRegistryWaiters(json: string | undefined): RegistryWaiterName[] {
  let list: unknown;
  try {
    list = JSON.parse(json ?? '');
  } catch {
    list = undefined;
  }
  if (
    !Array.isArray(list) ||
    !list.every(
      (entry) =>
        isRecord(entry) && typeof entry.name === 'string' && typeof entry.stateMachineArn === 'string',
    )
  ) {
    throw new Error(
      `${REGISTRY_WAITERS_ENV}: expected a JSON list of { name, stateMachineArn }, got ${json}`,
    );
  }
  return list as RegistryWaiterName[];
}

/** The poll event config in a definition: the first Task whose Payload is a stepwait poll event. */
export function pollerConfigInDefinition(definition: unknown): string | undefined {
  if (!isRecord(definition) || !isRecord(definition.States)) return undefined;
  for (const state of Object.values(definition.States)) {
    if (!isRecord(state)) continue;
    const event = state.Type === 'Task' ? pollEventOf(state.Parameters) : undefined;
    if (event !== undefined) return event.config;
    const nested = [
      ...(Array.isArray(state.Branches) ? state.Branches : []),
      ...(isRecord(state.ItemProcessor) ? [state.ItemProcessor] : []),
    ];
    for (const branch of nested) {
      const found = pollerConfigInDefinition(branch);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * Each waiter with the config its deployed definition polls with (DescribeStateMachine).
 * @throws Error naming the machine whose definition has no stepwait poll task
 */
export async function loadRegistryWaiters(
  sfn: SFNClient,
  names: readonly RegistryWaiterName[],
): Promise<RegistryWaiter[]> {
  return Promise.all(
    names.map(async ({ name, stateMachineArn }) => {
      const { definition } = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
      const config = pollerConfigInDefinition(JSON.parse(definition ?? 'null'));
      if (config === undefined) {
        throw new Error(`waiter ${name}: the definition of ${stateMachineArn} has no stepwait poll task`);
      }
      return { name, stateMachineArn, parsed: parsePollerConfig(config) };
    }),
  );
}
