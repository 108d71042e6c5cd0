import { isDeepStrictEqual } from 'node:util';
import { compileExpression, searchExpression } from './expressions';
import { type Acceptor, type AcceptorState, isErrorOutcome, type PollOutcome } from './types';
import { validateAcceptor } from './validate';

/** Does one acceptor match one outcome? Built once per acceptor, so a poll only asks the question. */
export type AcceptorMatch = (outcome: PollOutcome) => boolean;

export interface AcceptorDecision {
  readonly state: AcceptorState;
  /** The acceptor that decided; absent when none matched and the state is the fallback. */
  readonly acceptor?: Acceptor;
}

// The matchers follow botocore/waiter.py `AcceptorConfig._create_*_matcher` one for one.
function pathMatch(argument: string, expected: unknown): AcceptorMatch {
  const expression = compileExpression(argument);
  return (outcome) =>
    !isErrorOutcome(outcome) && isDeepStrictEqual(searchExpression(expression, outcome.output), expected);
}

function pathAllMatch(argument: string, expected: unknown): AcceptorMatch {
  const expression = compileExpression(argument);
  return (outcome) => {
    if (isErrorOutcome(outcome)) return false;
    const result = searchExpression(expression, outcome.output);
    // An empty list matches nothing: "all of zero jobs succeeded" is not a success.
    return Array.isArray(result) && result.length > 0 && result.every((e) => isDeepStrictEqual(e, expected));
  };
}

function pathAnyMatch(argument: string, expected: unknown): AcceptorMatch {
  const expression = compileExpression(argument);
  return (outcome) => {
    if (isErrorOutcome(outcome)) return false;
    const result = searchExpression(expression, outcome.output);
    return Array.isArray(result) && result.length > 0 && result.some((e) => isDeepStrictEqual(e, expected));
  };
}

function statusMatch(expected: unknown): AcceptorMatch {
  return (outcome) => outcome.httpStatusCode === expected;
}

// botocore: expected true -> any error; false -> no error; otherwise the error code, "" for a normal response.
function errorMatch(expected: unknown): AcceptorMatch {
  if (expected === true) return (outcome) => isErrorOutcome(outcome);
  if (expected === false) return (outcome) => !isErrorOutcome(outcome);
  return (outcome) => (isErrorOutcome(outcome) ? outcome.error.name : '') === expected;
}

/** Turns an acceptor into its matcher. Assumes a validated acceptor (see WaiterModel). */
export function compileAcceptor(acceptor: Acceptor): AcceptorMatch {
  const { matcher, argument = '', expected } = acceptor;
  switch (matcher) {
    case 'path':
      return pathMatch(argument, expected);
    case 'pathAll':
      return pathAllMatch(argument, expected);
    case 'pathAny':
      return pathAnyMatch(argument, expected);
    case 'status':
      return statusMatch(expected);
    case 'error':
      return errorMatch(expected);
    default:
      throw new TypeError(`unknown matcher ${JSON.stringify(matcher)}`);
  }
}

/** Decides with already compiled acceptors: the loop of botocore's `Waiter.wait`, for one response. */
export function decide(
  compiled: readonly { acceptor: Acceptor; matches: AcceptorMatch }[],
  outcome: PollOutcome,
): AcceptorDecision {
  for (const { acceptor, matches } of compiled) {
    if (matches(outcome)) return { state: acceptor.state, acceptor };
  }
  // botocore: an error no acceptor expected ends the wait; anything else keeps waiting.
  return { state: isErrorOutcome(outcome) ? 'failure' : 'retry' };
}

/**
 * Evaluates acceptors in order against one poll outcome, with botocore's semantics: the first match
 * decides; no match on an error is a failure; no match otherwise is a retry.
 * @throws WaiterConfigError for an invalid acceptor, naming its index and field.
 */
export function evaluateAcceptors(acceptors: readonly Acceptor[], outcome: PollOutcome): AcceptorDecision {
  acceptors.forEach((acceptor, index) => {
    validateAcceptor(acceptor, `acceptors[${index}]`);
  });
  return decide(
    acceptors.map((acceptor) => ({ acceptor, matches: compileAcceptor(acceptor) })),
    outcome,
  );
}
