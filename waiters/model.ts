import { type AcceptorDecision, type AcceptorMatch, compileAcceptor, decide } from './acceptors';
import { WaiterConfigError } from './errors';
import type { Acceptor, PollOutcome, WaiterConfig, WaiterModelConfig } from './types';
import { validateWaiterModelConfig } from './validate';

/** Per-waiter changes for `WaiterModel.withOverrides`; a field left out keeps its value. */
export type WaiterOverrides = Readonly<Record<string, Partial<WaiterConfig>>>;

interface CompiledWaiter {
  readonly config: WaiterConfig;
  readonly acceptors: readonly { acceptor: Acceptor; matches: AcceptorMatch }[];
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * A validated, immutable set of waiters (botocore: `WaiterModel`). The document is copied in, checked once
 * and its acceptors compiled once; callers only ever get copies out, so no caller can change the model
 * another caller decides with.
 */
export class WaiterModel {
  private readonly config: WaiterModelConfig;
  private readonly compiled: ReadonlyMap<string, CompiledWaiter>;

  /** @throws WaiterConfigError naming the waiter, acceptor index and field of the first problem. */
  constructor(config: WaiterModelConfig) {
    const copy: unknown = structuredClone(config);
    validateWaiterModelConfig(copy);
    this.config = deepFreeze(copy);
    this.compiled = new Map(
      Object.entries(this.config.waiters).map(([name, waiter]) => [
        name,
        {
          config: waiter,
          acceptors: waiter.acceptors.map((acceptor) => ({ acceptor, matches: compileAcceptor(acceptor) })),
        },
      ]),
    );
  }

  /** The waiter names, in document order. */
  listWaiters(): string[] {
    return [...this.compiled.keys()];
  }

  hasWaiter(name: string): boolean {
    return this.compiled.has(name);
  }

  /** A deep copy of one waiter's configuration. @throws WaiterConfigError for an unknown name. */
  getWaiter(name: string): WaiterConfig {
    return structuredClone(this.compiledWaiter(name).config) as WaiterConfig;
  }

  /** Decides one poll outcome with the named waiter's compiled acceptors. */
  evaluate(name: string, outcome: PollOutcome): AcceptorDecision {
    return decide(this.compiledWaiter(name).acceptors, outcome);
  }

  /** A deep copy of the whole document, e.g. to serialise it into a Lambda's configuration. */
  toJSON(): WaiterModelConfig {
    return structuredClone(this.config) as WaiterModelConfig;
  }

  /**
   * A new, validated model with some waiter fields replaced; this model is left as it was.
   * @example batchWaiterModel.withOverrides({ JobComplete: { delay: 60 } })
   * @throws WaiterConfigError for an unknown waiter name or an invalid result.
   */
  withOverrides(overrides: WaiterOverrides): WaiterModel {
    const document = this.toJSON() as { version: 2; waiters: Record<string, WaiterConfig> };
    for (const [name, override] of Object.entries(overrides)) {
      const base = document.waiters[name];
      if (base === undefined) {
        throw new WaiterConfigError(
          `unknown waiter (known: ${this.listWaiters().join(', ')})`,
          `waiters.${name}`,
        );
      }
      document.waiters[name] = { ...base, ...structuredClone(override) };
    }
    return new WaiterModel(document);
  }

  private compiledWaiter(name: string): CompiledWaiter {
    const waiter = this.compiled.get(name);
    if (waiter === undefined) {
      throw new WaiterConfigError(
        `unknown waiter (known: ${this.listWaiters().join(', ')})`,
        `waiters.${name}`,
      );
    }
    return waiter;
  }
}
