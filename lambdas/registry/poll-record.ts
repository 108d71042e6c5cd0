import { registryViewChanged, registryViewOf, type WaitState } from '../../waiters';
import type { RegistryStore } from './registry-store';

/** What a poller needs to keep the registry (lambdas/registry/registry-store.ts) up to date. */
export interface RegistryRecording {
  store: RegistryStore;
  /**
   * How long a poll waits for its registry write (default REGISTRY_WRITE_BUDGET_MS): a write that hangs must not
   * hold the poll to the Lambda's timeout, which would fail the wait. Past it the poll goes on, marked behind.
   */
  writeBudgetMs?: number;
}

export const REGISTRY_WRITE_BUDGET_MS = 3_000;

/**
 * After a poll: writes the registry when the poll changed what it shows (registryViewChanged), or when the
 * last write failed (`registryBehind`), so a throttled write is made good by the next poll and no status
 * change is lost. A write that fails never fails the poll: the registry lags, the wait goes on. A write
 * that lands after a newer one is dropped by the store (its `sequence`).
 */
export async function withRegistryRecord(
  before: WaitState | undefined,
  after: WaitState,
  stages: readonly string[],
  registry: RegistryRecording,
  context: {
    waiter: string;
    /** The polling execution's ARN, where the poll event has it. */
    execution?: string;
    nowMs: number;
    log: (line: Record<string, unknown>) => void;
  },
): Promise<WaitState> {
  if (after.waitId === undefined) return after;
  const { registryBehind, ...state } = after;
  const nowIso = new Date(context.nowMs).toISOString();
  const view = registryViewOf(state, stages, nowIso);
  const changed =
    registryBehind === true || registryViewChanged(before && registryViewOf(before, stages, nowIso), view);
  if (!changed) return state;
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<'slow'>((resolve) => {
    timer = setTimeout(() => resolve('slow'), registry.writeBudgetMs ?? REGISTRY_WRITE_BUDGET_MS);
  });
  const write = registry.store.recordProgress(after.waitId, view, {
    name: nameOf(state),
    ownerHint: `started outside the registry (waiter ${context.waiter}${
      context.execution ? `, execution ${context.execution.split(':').at(-1)}` : ''
    })`,
    ...(context.execution === undefined ? {} : { executionArn: context.execution }),
  });
  try {
    // A write that lands after the budget is still ordered by its sequence; should it fail, the next poll,
    // told the registry is behind, writes again.
    const outcome = await Promise.race([write, budget]);
    if (outcome !== 'slow') return state;
    write.catch(() => undefined);
    context.log({ waiter: context.waiter, event: 'registryWriteSlow' });
    return { ...state, registryBehind: true };
  } catch (error) {
    context.log({ waiter: context.waiter, event: 'registryWriteFailed', error: (error as Error).name });
    return { ...state, registryBehind: true };
  } finally {
    clearTimeout(timer);
  }
}

/** A wait nobody named: its business key, or its job ids. */
function nameOf(state: WaitState): string {
  if ('jobName' in state.target) return state.target.jobName;
  const ids = state.jobIds.length > 0 ? state.jobIds : state.target.jobIds;
  return ids.length > 3 ? `${ids.slice(0, 3).join(', ')} and ${ids.length - 3} more` : ids.join(', ');
}
