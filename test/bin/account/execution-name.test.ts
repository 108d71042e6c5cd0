import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  businessKeyOf,
  candidateNames,
  executionName,
  MAX_EXECUTION_NAME_LENGTH,
} from '../../../bin/cli/account/execution-name';
import { NOW } from './harness';

const VALID = /^[A-Za-z0-9_-]{1,80}$/;

describe('execution names', () => {
  it('are the business key: the job name, or job-<id>', () => {
    expect(businessKeyOf({ jobName: 'nightly-etl', jobQueue: 'q', newest: false })).toBe('nightly-etl');
    expect(businessKeyOf({ jobId: 'abc' })).toBe('job-abc');
    expect(businessKeyOf({ jobIds: ['a', 'b'] })).toBe('job-a-b');
  });

  it('keep a valid key as it is and replace other characters with "-"', () => {
    expect(executionName('nightly_etl-2')).toBe('nightly_etl-2');
    expect(executionName('job-4c3bd56b:3#node 1')).toBe('job-4c3bd56b-3-node-1');
  });

  it('are always valid: 1-80 letters, digits, "-" and "_", suffix included', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 300 }),
        fc.constantFrom('', '-20250611T021500Z', '-20250611T021500Z-5'),
        (key, suffix) => {
          const name = executionName(key, suffix);
          expect(name).toMatch(VALID);
          expect(name.endsWith(suffix)).toBe(true);
        },
      ),
    );
  });

  it('keep long keys apart: cut keys end in a hash of the whole key', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9-]{81,200}$/),
        fc.stringMatching(/^[a-z0-9-]{81,200}$/),
        (a, b) => {
          fc.pre(a !== b);
          expect(executionName(a)).not.toBe(executionName(b));
          expect(executionName(a)).toHaveLength(MAX_EXECUTION_NAME_LENGTH);
        },
      ),
    );
  });

  it('are tried as the key, the key with the start time, then -2, -3', () => {
    expect(candidateNames('nightly-etl', NOW, 4)).toEqual([
      'nightly-etl',
      'nightly-etl-20250611T021500Z',
      'nightly-etl-20250611T021500Z-2',
      'nightly-etl-20250611T021500Z-3',
    ]);
    const long = candidateNames('x'.repeat(80), NOW, 2);
    expect(long[0]).toBe('x'.repeat(80));
    expect(long[1]).toMatch(/^x{54}-[0-9a-f]{8}-20250611T021500Z$/);
    expect(long[1]).toHaveLength(80);
  });
});
