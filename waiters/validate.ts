import { WaiterConfigError } from './errors';
import { compileExpression } from './expressions';
import type { Acceptor, WaiterConfig, WaiterModelConfig } from './types';

const ACCEPTOR_STATES = ['success', 'failure', 'retry'] as const;
const MATCHERS = ['path', 'pathAll', 'pathAny', 'status', 'error'] as const;
const PATH_MATCHERS: readonly string[] = ['path', 'pathAll', 'pathAny'];
const WAITER_FIELDS = ['operation', 'delay', 'maxAttempts', 'description', 'acceptors'];
const ACCEPTOR_FIELDS = ['state', 'matcher', 'argument', 'expected'];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

function rejectUnknownFields(value: Record<string, unknown>, known: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new WaiterConfigError(`unknown field (expected one of ${known.join(', ')})`, `${where}.${key}`);
    }
  }
}

/** Checks one acceptor; `where` is its path in the document, e.g. `waiters.JobComplete.acceptors[2]`. */
export function validateAcceptor(acceptor: unknown, where: string): asserts acceptor is Acceptor {
  if (!isPlainObject(acceptor)) throw new WaiterConfigError('expected an object', where);
  rejectUnknownFields(acceptor, ACCEPTOR_FIELDS, where);
  const { state, matcher, argument, expected } = acceptor;
  if (!ACCEPTOR_STATES.includes(state as never)) {
    throw new WaiterConfigError(
      `unknown state ${describe(state)} (expected one of ${ACCEPTOR_STATES.join(', ')})`,
      `${where}.state`,
    );
  }
  if (!MATCHERS.includes(matcher as never)) {
    throw new WaiterConfigError(
      `unknown matcher ${describe(matcher)} (expected one of ${MATCHERS.join(', ')})`,
      `${where}.matcher`,
    );
  }
  if (!('expected' in acceptor)) throw new WaiterConfigError('missing', `${where}.expected`);
  if (PATH_MATCHERS.includes(matcher as string)) {
    if (typeof argument !== 'string' || argument.length === 0) {
      throw new WaiterConfigError(
        `a ${matcher as string} matcher needs a JMESPath expression, got ${describe(argument)}`,
        `${where}.argument`,
      );
    }
    try {
      compileExpression(argument);
    } catch (error) {
      throw new WaiterConfigError(
        `invalid JMESPath ${JSON.stringify(argument)}: ${(error as Error).message}`,
        `${where}.argument`,
      );
    }
  } else if (matcher === 'status' && !Number.isInteger(expected)) {
    throw new WaiterConfigError(
      `a status matcher expects an HTTP status code, got ${describe(expected)}`,
      `${where}.expected`,
    );
  } else if (matcher === 'error' && typeof expected !== 'string' && typeof expected !== 'boolean') {
    throw new WaiterConfigError(
      `an error matcher expects an error code, "" or a boolean, got ${describe(expected)}`,
      `${where}.expected`,
    );
  }
}

/** Checks one waiter; `where` is its path in the document, e.g. `waiters.JobComplete`. */
export function validateWaiter(waiter: unknown, where: string): asserts waiter is WaiterConfig {
  if (!isPlainObject(waiter)) throw new WaiterConfigError('expected an object', where);
  rejectUnknownFields(waiter, WAITER_FIELDS, where);
  const { operation, delay, maxAttempts, description, acceptors } = waiter;
  if (typeof operation !== 'string' || operation.length === 0) {
    throw new WaiterConfigError(
      `expected an operation name, got ${describe(operation)}`,
      `${where}.operation`,
    );
  }
  if (!Number.isInteger(delay) || (delay as number) < 0) {
    throw new WaiterConfigError(`expected whole seconds >= 0, got ${describe(delay)}`, `${where}.delay`);
  }
  if (!Number.isInteger(maxAttempts) || (maxAttempts as number) < 1) {
    throw new WaiterConfigError(
      `expected an integer >= 1, got ${describe(maxAttempts)}`,
      `${where}.maxAttempts`,
    );
  }
  if (description !== undefined && typeof description !== 'string') {
    throw new WaiterConfigError(`expected a string, got ${describe(description)}`, `${where}.description`);
  }
  if (!Array.isArray(acceptors) || acceptors.length === 0) {
    throw new WaiterConfigError(
      `expected a non-empty list, got ${describe(acceptors)}`,
      `${where}.acceptors`,
    );
  }
  acceptors.forEach((acceptor, index) => {
    validateAcceptor(acceptor, `${where}.acceptors[${index}]`);
  });
}

/** Checks a whole waiter document (botocore: `WaiterModel.__init__` refuses any version but 2). */
export function validateWaiterModelConfig(config: unknown): asserts config is WaiterModelConfig {
  if (!isPlainObject(config)) throw new WaiterConfigError('expected a waiter document object', '(document)');
  if (config.version !== 2) {
    throw new WaiterConfigError(
      `unsupported waiter version ${describe(config.version)} (expected 2)`,
      'version',
    );
  }
  const { waiters } = config;
  if (!isPlainObject(waiters) || Object.keys(waiters).length === 0) {
    throw new WaiterConfigError('expected an object with at least one waiter', 'waiters');
  }
  for (const [name, waiter] of Object.entries(waiters)) {
    validateWaiter(waiter, `waiters.${name}`);
  }
}
