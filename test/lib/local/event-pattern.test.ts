import { describe, expect, it } from 'vitest';
import { matchesPattern, UnsupportedPatternError } from '../../../lib/local/event-pattern';

// Examples after EventBridge User Guide, "Amazon EventBridge event patterns" and "Content filtering in
// Amazon EventBridge event patterns": the event, then patterns that match it and patterns that do not.
const ec2Event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};

describe('matchesPattern', () => {
  it('matches on literal values, any of a field’s list, and nested fields', () => {
    expect(matchesPattern({ source: ['aws.ec2'] }, ec2Event)).toBe(true);
    expect(
      matchesPattern({ source: ['aws.ec2', 'aws.fargate'], detail: { state: ['terminated'] } }, ec2Event),
    ).toBe(true);
    expect(matchesPattern({ source: ['aws.ec2'], detail: { state: ['running'] } }, ec2Event)).toBe(false);
    expect(matchesPattern({ detail: { missing: ['x'] } }, ec2Event)).toBe(false);
  });

  it('matches an event array field when any of its elements matches', () => {
    expect(
      matchesPattern(
        { resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0', 'x'] },
        ec2Event,
      ),
    ).toBe(true);
    expect(matchesPattern({ resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-0'] }, ec2Event)).toBe(
      false,
    );
  });

  it('applies prefix, suffix, anything-but, exists and equals-ignore-case', () => {
    expect(matchesPattern({ time: [{ prefix: '2017-12-22' }] }, ec2Event)).toBe(true);
    expect(matchesPattern({ time: [{ prefix: '2018' }] }, ec2Event)).toBe(false);
    expect(matchesPattern({ source: [{ suffix: '.ec2' }] }, ec2Event)).toBe(true);
    expect(matchesPattern({ detail: { state: [{ 'anything-but': 'initializing' }] } }, ec2Event)).toBe(true);
    expect(
      matchesPattern({ detail: { state: [{ 'anything-but': ['stopped', 'terminated'] }] } }, ec2Event),
    ).toBe(false);
    expect(matchesPattern({ detail: { 'instance-id': [{ exists: true }] } }, ec2Event)).toBe(true);
    expect(matchesPattern({ detail: { 'c-count': [{ exists: false }] } }, ec2Event)).toBe(true);
    expect(matchesPattern({ detail: { 'c-count': [{ exists: true }] } }, ec2Event)).toBe(false);
    expect(
      matchesPattern(
        { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] },
        ec2Event,
      ),
    ).toBe(true);
  });

  it('refuses an operator it does not implement rather than guess', () => {
    expect(() =>
      matchesPattern({ detail: { count: [{ numeric: ['>', 0] }] } }, { detail: { count: 1 } }),
    ).toThrow(UnsupportedPatternError);
  });

  it('matches the synthesized Batch rule against a Batch job state-change event, and not other statuses', () => {
    const rule = {
      source: ['aws.batch'],
      'detail-type': ['Batch Job State Change'],
      detail: { status: ['RUNNING', 'SUCCEEDED', 'FAILED'] },
    };
    const event = (status: string) => ({
      source: 'aws.batch',
      'detail-type': 'Batch Job State Change',
      detail: { status },
    });
    expect(matchesPattern(rule, event('SUCCEEDED'))).toBe(true);
    expect(matchesPattern(rule, event('RUNNABLE'))).toBe(false);
  });
});
