import { describe, expect, it } from 'vitest';
import {
  attachNegativeValues,
  compactDuration,
  parseDurationSeconds,
  parseWholeNumber,
  UsageError,
} from '../../bin/cli/usage-error';

describe('parseDurationSeconds', () => {
  it.each([
    ['7200', 7_200],
    ['90s', 90],
    ['30m', 1_800],
    [' 2h ', 7_200],
    ['1d', 86_400],
    ['364d', 31_449_600],
  ])('%j is %d seconds', (value, seconds) => {
    expect(parseDurationSeconds(value, '--timeout', 1, 364 * 86_400)).toBe(seconds);
  });

  it.each([
    [
      '-1h',
      /^--timeout: expected whole seconds or a duration like 90s, 30m, 2h, 1d, from 1s to 364d; got "-1h", which is negative$/,
    ],
    ['1.5h', /got "1.5h", which is not a whole number \(write 90m\)$/],
    ['0.5', /got "0.5", which is not a whole number$/],
    ['2.h', /got "2.h"$/],
    ['0', /^--timeout: must be at least 1s, got "0" \(from 1s to 364d\)$/],
    ['365d', /^--timeout: must be at most 364d, got "365d" \(from 1s to 364d\)$/],
    ['99999999999999999999', /must be at most 364d, got "99999999999999999999"/],
    ['2 h', /^--timeout: expected whole seconds .*; got "2 h"$/],
    ['+5', /got "\+5"$/],
    ['1e3', /got "1e3"$/],
  ])('refuses %j, naming the option, what it takes and what came', (value, message) => {
    expect(() => parseDurationSeconds(value, '--timeout', 1, 364 * 86_400)).toThrowError(UsageError);
    expect(() => parseDurationSeconds(value, '--timeout', 1, 364 * 86_400)).toThrowError(message);
  });

  it('without a maximum, says "or more" and still refuses what is not a safe number of seconds', () => {
    expect(() => parseDurationSeconds('-5', '--queue-time', 0)).toThrowError(
      '--queue-time: expected whole seconds or a duration like 90s, 30m, 2h, 1d, 0s or more; got "-5", which is negative',
    );
    expect(parseDurationSeconds('0', '--queue-time', 0)).toBe(0);
    expect(parseDurationSeconds('-0', '--queue-time', 0)).toBe(0);
    expect(() => parseDurationSeconds('99999999999999999999d', '--job-duration', 0)).toThrowError(
      /--job-duration: must be at most/,
    );
  });
});

describe('parseWholeNumber', () => {
  it('takes the bounds and what lies between', () => {
    expect(parseWholeNumber('1', '--max', 1, 1_000)).toBe(1);
    expect(parseWholeNumber('1000', '--max', 1, 1_000)).toBe(1_000);
  });

  it.each([
    ['-5', 'got "-5", which is negative'],
    ['2.5', 'got "2.5", which is not a whole number'],
    ['0', 'got "0", which is below 1'],
    ['1001', 'got "1001", which is above 1000'],
    ['ten', 'got "ten"'],
  ])('refuses %j', (value, came) => {
    expect(() => parseWholeNumber(value, '--max', 1, 1_000)).toThrowError(
      `--max: expected a whole number from 1 to 1000, ${came}`,
    );
  });
});

describe('attachNegativeValues', () => {
  const takesValue = new Set(['timeout', 'max', 'reason']);

  it('joins a negative number to the option before it, so the option gets it as its value', () => {
    expect(attachNegativeValues(['--timeout', '-1h', '--max', '-.5'], takesValue)).toEqual([
      '--timeout=-1h',
      '--max=-.5',
    ]);
  });

  it('leaves flags, other dashes, options already given with = and anything after -- alone', () => {
    const args = ['--wait', '-1', '--reason', '-x', '--timeout=-1', '-h', '--', '--timeout', '-1'];
    expect(attachNegativeValues(args, takesValue)).toEqual(args);
  });
});

describe('compactDuration', () => {
  it('says a duration in its largest exact unit', () => {
    expect([0, 1, 90, 5_400, 7_200, 31_449_600].map(compactDuration)).toEqual([
      '0s',
      '1s',
      '90s',
      '90m',
      '2h',
      '364d',
    ]);
  });
});
