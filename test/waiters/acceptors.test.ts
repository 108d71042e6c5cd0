import { describe, expect, it } from 'vitest';
import { type Acceptor, evaluateAcceptors, type PollOutcome, WaiterConfigError } from '../../waiters';

const ok = (output: unknown, httpStatusCode = 200): PollOutcome => ({ output, httpStatusCode });
const failed = (name: string, httpStatusCode = 400): PollOutcome => ({
  error: { name, message: 'boom' },
  httpStatusCode,
});

describe('path matcher (botocore _create_path_matcher)', () => {
  const acceptor: Acceptor = {
    state: 'success',
    matcher: 'path',
    argument: 'Table.Status',
    expected: 'ACTIVE',
  };

  it('matches when the expression equals expected', () => {
    expect(evaluateAcceptors([acceptor], ok({ Table: { Status: 'ACTIVE' } }))).toEqual({
      state: 'success',
      acceptor,
    });
  });

  it('does not match another value, and an unmatched normal response is retry', () => {
    expect(evaluateAcceptors([acceptor], ok({ Table: { Status: 'CREATING' } }))).toEqual({ state: 'retry' });
  });

  it('compares structured values deeply', () => {
    const deep: Acceptor = { state: 'success', matcher: 'path', argument: 'a', expected: { b: [1, 2] } };
    expect(evaluateAcceptors([deep], ok({ a: { b: [1, 2] } })).state).toBe('success');
    expect(evaluateAcceptors([deep], ok({ a: { b: [2, 1] } })).state).toBe('retry');
  });

  it('never matches an error outcome, which then fails', () => {
    const onNull: Acceptor = { state: 'success', matcher: 'path', argument: 'missing', expected: null };
    expect(evaluateAcceptors([onNull], ok({}))).toEqual({ state: 'success', acceptor: onNull });
    expect(evaluateAcceptors([onNull], failed('ValidationException'))).toEqual({ state: 'failure' });
  });
});

describe('pathAll matcher', () => {
  const acceptor: Acceptor = {
    state: 'success',
    matcher: 'pathAll',
    argument: 'jobs[].status',
    expected: 'SUCCEEDED',
  };

  it('matches when every element equals expected', () => {
    expect(
      evaluateAcceptors([acceptor], ok({ jobs: [{ status: 'SUCCEEDED' }, { status: 'SUCCEEDED' }] })).state,
    ).toBe('success');
  });

  it('does not match when one element differs', () => {
    expect(
      evaluateAcceptors([acceptor], ok({ jobs: [{ status: 'SUCCEEDED' }, { status: 'RUNNING' }] })).state,
    ).toBe('retry');
  });

  it('never matches an empty list or a non-list', () => {
    expect(evaluateAcceptors([acceptor], ok({ jobs: [] })).state).toBe('retry');
    expect(evaluateAcceptors([acceptor], ok({})).state).toBe('retry');
    const scalar: Acceptor = {
      state: 'success',
      matcher: 'pathAll',
      argument: 'status',
      expected: 'SUCCEEDED',
    };
    expect(evaluateAcceptors([scalar], ok({ status: 'SUCCEEDED' })).state).toBe('retry');
  });

  it('never matches an error', () => {
    expect(evaluateAcceptors([acceptor], failed('Oops')).state).toBe('failure');
  });
});

describe('pathAny matcher', () => {
  const acceptor: Acceptor = {
    state: 'failure',
    matcher: 'pathAny',
    argument: 'jobs[].status',
    expected: 'FAILED',
  };

  it('matches when some element equals expected', () => {
    expect(
      evaluateAcceptors([acceptor], ok({ jobs: [{ status: 'RUNNING' }, { status: 'FAILED' }] })),
    ).toEqual({
      state: 'failure',
      acceptor,
    });
  });

  it('does not match when none does, nor an empty list', () => {
    expect(evaluateAcceptors([acceptor], ok({ jobs: [{ status: 'RUNNING' }] })).state).toBe('retry');
    expect(evaluateAcceptors([acceptor], ok({ jobs: [] })).state).toBe('retry');
  });
});

describe('status matcher', () => {
  const acceptor: Acceptor = { state: 'success', matcher: 'status', expected: 404 };

  it('compares the HTTP status code, on responses and errors alike', () => {
    expect(evaluateAcceptors([acceptor], failed('NotFound', 404)).state).toBe('success');
    expect(evaluateAcceptors([acceptor], ok({}, 404)).state).toBe('success');
    expect(evaluateAcceptors([acceptor], ok({}, 200)).state).toBe('retry');
    expect(evaluateAcceptors([acceptor], { output: {} }).state).toBe('retry');
  });
});

describe('error matcher (botocore _create_error_matcher)', () => {
  it('matches an error by its code', () => {
    const acceptor: Acceptor = { state: 'retry', matcher: 'error', expected: 'ResourceNotFoundException' };
    expect(evaluateAcceptors([acceptor], failed('ResourceNotFoundException')).state).toBe('retry');
    expect(evaluateAcceptors([acceptor], failed('AccessDeniedException')).state).toBe('failure');
    expect(evaluateAcceptors([acceptor], ok({})).state).toBe('retry');
  });

  it('counts a normal response as error code "", so expected "" matches it', () => {
    const acceptor: Acceptor = { state: 'failure', matcher: 'error', expected: '' };
    expect(evaluateAcceptors([acceptor], ok({ anything: 1 }))).toEqual({ state: 'failure', acceptor });
    const onError: Acceptor = { state: 'success', matcher: 'error', expected: '' };
    expect(evaluateAcceptors([onError], failed('Boom')).state).toBe('failure');
  });

  it('expected true matches any error and no response', () => {
    const acceptor: Acceptor = { state: 'retry', matcher: 'error', expected: true };
    expect(evaluateAcceptors([acceptor], failed('Anything')).state).toBe('retry');
    expect(evaluateAcceptors([acceptor], ok({})).state).toBe('retry');
    expect(evaluateAcceptors([acceptor], ok({})).acceptor).toBeUndefined();
  });

  it('expected false matches a normal response only', () => {
    const acceptor: Acceptor = { state: 'success', matcher: 'error', expected: false };
    expect(evaluateAcceptors([acceptor], ok({})).state).toBe('success');
    expect(evaluateAcceptors([acceptor], failed('Anything')).state).toBe('failure');
  });
});

describe('acceptor order and fallbacks', () => {
  it('lets the first matching acceptor decide', () => {
    const first: Acceptor = {
      state: 'failure',
      matcher: 'pathAny',
      argument: 'jobs[].status',
      expected: 'FAILED',
    };
    const second: Acceptor = { state: 'success', matcher: 'path', argument: 'length(jobs)', expected: 2 };
    const outcome = ok({ jobs: [{ status: 'FAILED' }, { status: 'SUCCEEDED' }] });
    expect(evaluateAcceptors([first, second], outcome)).toEqual({ state: 'failure', acceptor: first });
    expect(evaluateAcceptors([second, first], outcome)).toEqual({ state: 'success', acceptor: second });
  });

  it('fails an error nobody expected and retries anything else', () => {
    expect(evaluateAcceptors([], failed('Unexpected'))).toEqual({ state: 'failure' });
    expect(evaluateAcceptors([], ok({}))).toEqual({ state: 'retry' });
  });

  it('rejects an invalid acceptor with a named error', () => {
    const bad = { state: 'failed', matcher: 'path', argument: 'a', expected: 1 } as unknown as Acceptor;
    expect(() => evaluateAcceptors([bad], ok({}))).toThrowError(WaiterConfigError);
    expect(() => evaluateAcceptors([bad], ok({}))).toThrowError(
      /acceptors\[0\]\.state: unknown state "failed"/,
    );
  });
});
