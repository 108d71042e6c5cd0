import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, nearest } from '../../bin/cli/suggest';

const COMMANDS = ['local', 'start', 'status', 'list', 'cancel', 'help'];

describe('editDistance', () => {
  it.each([
    ['status', 'status', 0],
    ['stauts', 'status', 1],
    ['satus', 'status', 1],
    ['statuss', 'status', 1],
    ['kitten', 'sitting', 3],
    ['', 'list', 4],
    ['ab', 'ba', 1],
  ])('%j to %j: %d', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});

describe('nearest', () => {
  it.each([
    ['stauts', ['status']],
    ['cancle', ['cancel']],
    ['lsit', ['list']],
    ['STATUS', ['status']],
    ['hepl', ['help']],
    // One edit from start, and the beginning of status.
    ['stat', ['start', 'status']],
    ['xyz', []],
    ['deploy', []],
    ['', []],
    // Too short to guess from.
    ['st', []],
  ])('%j -> %j', (word, expected) => {
    expect(nearest(word, COMMANDS)).toEqual(expected);
  });

  it('does not guess a short option from one letter', () => {
    expect(nearest('-x', ['-h', '--help'])).toEqual([]);
    expect(nearest('--jsn', ['--json', '--region', '-h'])).toEqual(['--json']);
  });
});

describe('didYouMean', () => {
  it('names one or several words, or says nothing', () => {
    expect(didYouMean('stauts', COMMANDS)).toBe('; did you mean "status"?');
    expect(didYouMean('stat', COMMANDS)).toBe('; did you mean "start" or "status"?');
    expect(didYouMean('xyz', COMMANDS)).toBe('');
  });
});
