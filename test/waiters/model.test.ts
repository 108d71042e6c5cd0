import { describe, expect, it } from 'vitest';
import { batchWaiterModel, WaiterConfigError, WaiterModel, type WaiterModelConfig } from '../../waiters';

function modelWith(waiter: Record<string, unknown>, version: unknown = 2): () => WaiterModel {
  return () => new WaiterModel({ version, waiters: { Sample: waiter } } as unknown as WaiterModelConfig);
}

const goodWaiter = {
  operation: 'DescribeThing',
  delay: 5,
  maxAttempts: 10,
  acceptors: [{ state: 'success', matcher: 'path', argument: 'Thing.State', expected: 'READY' }],
};

function expectConfigError(build: () => unknown, field: string, message: RegExp): void {
  let caught: unknown;
  try {
    build();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(WaiterConfigError);
  expect((caught as WaiterConfigError).field).toBe(field);
  expect((caught as WaiterConfigError).message).toMatch(message);
}

describe('WaiterModel validation', () => {
  it('accepts a valid document', () => {
    expect(modelWith(goodWaiter)().listWaiters()).toEqual(['Sample']);
  });

  it('refuses any version but 2, as botocore does', () => {
    expectConfigError(modelWith(goodWaiter, 1), 'version', /unsupported waiter version 1 \(expected 2\)/);
    expectConfigError(modelWith(goodWaiter, '2'), 'version', /unsupported waiter version "2"/);
  });

  it('names the acceptor index and field of an unknown state (the apache/airflow#34017 typo)', () => {
    const acceptors = [
      goodWaiter.acceptors[0],
      { state: 'failed', matcher: 'pathAny', argument: 'a', expected: 'X' },
    ];
    expectConfigError(
      modelWith({ ...goodWaiter, acceptors }),
      'waiters.Sample.acceptors[1].state',
      /unknown state "failed" \(expected one of success, failure, retry\)/,
    );
  });

  it('names an unknown matcher', () => {
    const acceptors = [{ state: 'success', matcher: 'pathSome', argument: 'a', expected: 'X' }];
    expectConfigError(
      modelWith({ ...goodWaiter, acceptors }),
      'waiters.Sample.acceptors[0].matcher',
      /pathSome/,
    );
  });

  it('requires an argument for every path matcher', () => {
    for (const matcher of ['path', 'pathAll', 'pathAny']) {
      const acceptors = [{ state: 'success', matcher, expected: 'X' }];
      expectConfigError(
        modelWith({ ...goodWaiter, acceptors }),
        'waiters.Sample.acceptors[0].argument',
        new RegExp(`a ${matcher} matcher needs a JMESPath expression`),
      );
    }
  });

  it('rejects invalid JMESPath', () => {
    const acceptors = [{ state: 'success', matcher: 'path', argument: 'jobs[', expected: 'X' }];
    expectConfigError(
      modelWith({ ...goodWaiter, acceptors }),
      'waiters.Sample.acceptors[0].argument',
      /invalid JMESPath "jobs\["/,
    );
  });

  it('rejects a negative or fractional delay and maxAttempts below 1', () => {
    expectConfigError(
      modelWith({ ...goodWaiter, delay: -1 }),
      'waiters.Sample.delay',
      /whole seconds >= 0, got -1/,
    );
    expectConfigError(modelWith({ ...goodWaiter, delay: 1.5 }), 'waiters.Sample.delay', /got 1.5/);
    expectConfigError(
      modelWith({ ...goodWaiter, maxAttempts: 0 }),
      'waiters.Sample.maxAttempts',
      /integer >= 1, got 0/,
    );
  });

  it('rejects a missing expected, a bad status code and a bad error code', () => {
    expectConfigError(
      modelWith({ ...goodWaiter, acceptors: [{ state: 'success', matcher: 'error' }] }),
      'waiters.Sample.acceptors[0].expected',
      /missing/,
    );
    expectConfigError(
      modelWith({ ...goodWaiter, acceptors: [{ state: 'success', matcher: 'status', expected: '200' }] }),
      'waiters.Sample.acceptors[0].expected',
      /HTTP status code/,
    );
    expectConfigError(
      modelWith({ ...goodWaiter, acceptors: [{ state: 'success', matcher: 'error', expected: 3 }] }),
      'waiters.Sample.acceptors[0].expected',
      /error code/,
    );
  });

  it('rejects misspelt fields instead of ignoring them', () => {
    expectConfigError(
      modelWith({ ...goodWaiter, maxAttempt: 3 }),
      'waiters.Sample.maxAttempt',
      /unknown field/,
    );
  });

  it('rejects an empty waiter list and an empty acceptor list', () => {
    expectConfigError(() => new WaiterModel({ version: 2, waiters: {} }), 'waiters', /at least one waiter/);
    expectConfigError(
      modelWith({ ...goodWaiter, acceptors: [] }),
      'waiters.Sample.acceptors',
      /non-empty list/,
    );
  });
});

describe('WaiterModel access', () => {
  it('lists the Batch waiters', () => {
    expect(batchWaiterModel.listWaiters()).toEqual(['JobExists', 'JobRunning', 'JobComplete']);
  });

  it('throws on an unknown waiter, listing the known ones', () => {
    expect(() => batchWaiterModel.getWaiter('JobDone')).toThrowError(
      /waiters.JobDone: unknown waiter \(known: JobExists, JobRunning, JobComplete\)/,
    );
  });

  it('hands out copies: changing one does not touch the model', () => {
    const copy = batchWaiterModel.getWaiter('JobComplete') as unknown as {
      delay: number;
      acceptors: { expected: unknown }[];
    };
    copy.delay = 1;
    (copy.acceptors[0] as { expected: unknown }).expected = 'CHANGED';
    expect(batchWaiterModel.getWaiter('JobComplete').delay).toBe(300);
    expect(batchWaiterModel.getWaiter('JobComplete').acceptors[0]?.expected).toBe('FAILED');
    const document = batchWaiterModel.toJSON() as { waiters: Record<string, { delay: number }> };
    (document.waiters.JobExists as { delay: number }).delay = 99;
    expect(batchWaiterModel.getWaiter('JobExists').delay).toBe(2);
  });

  it('is not changed by later edits to the document it was built from', () => {
    const document = { version: 2 as const, waiters: { Sample: structuredClone(goodWaiter) } };
    const model = new WaiterModel(document as unknown as WaiterModelConfig);
    document.waiters.Sample.delay = 77;
    expect(model.getWaiter('Sample').delay).toBe(5);
  });

  it('derives a validated model with overrides and leaves the original alone', () => {
    const faster = batchWaiterModel.withOverrides({ JobComplete: { delay: 60, maxAttempts: 5 } });
    expect(faster.getWaiter('JobComplete')).toMatchObject({
      delay: 60,
      maxAttempts: 5,
      operation: 'DescribeJobs',
    });
    expect(faster.getWaiter('JobComplete').acceptors).toEqual(
      batchWaiterModel.getWaiter('JobComplete').acceptors,
    );
    expect(batchWaiterModel.getWaiter('JobComplete')).toMatchObject({ delay: 300, maxAttempts: 288 });
  });

  it('validates overrides like any document', () => {
    expect(() => batchWaiterModel.withOverrides({ JobComplete: { delay: -5 } })).toThrowError(
      /waiters.JobComplete.delay/,
    );
    expect(() => batchWaiterModel.withOverrides({ JobFinished: { delay: 5 } })).toThrowError(
      /waiters.JobFinished: unknown waiter/,
    );
  });

  it('evaluates with compiled acceptors, as evaluateAcceptors would', () => {
    const model = modelWith(goodWaiter)();
    expect(model.evaluate('Sample', { output: { Thing: { State: 'READY' } } }).state).toBe('success');
    expect(model.evaluate('Sample', { output: { Thing: { State: 'WARMING' } } }).state).toBe('retry');
    expect(model.evaluate('Sample', { error: { name: 'Throttled' } }).state).toBe('failure');
  });
});
