import { describe, expect, it } from 'vitest';
import { submitTargetsOf } from '../../../lib/local/submit-targets';

const submitTask = (parameters: Record<string, unknown>) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::batch:submitJob',
  Parameters: parameters,
  End: true,
});

describe('submitTargetsOf', () => {
  it('finds fixed queues and definitions of submit tasks, nested ones too, and skips run-time ones', () => {
    const definition = {
      StartAt: 'Submit',
      States: {
        Submit: submitTask({ 'JobName.$': '$.name', JobQueue: 'q1', JobDefinition: 'd1:2' }),
        Chosen: submitTask({ 'JobQueue.$': '$.queue', JobDefinition: 'd2' }),
        Other: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { JobQueue: 'x' } },
        Both: {
          Type: 'Parallel',
          Branches: [
            {
              StartAt: 'Inner',
              States: {
                Inner: {
                  ...submitTask({ JobQueue: 'q3', JobDefinition: 'd3' }),
                  Resource: 'arn:aws:states:::batch:submitJob.sync',
                },
              },
            },
          ],
          End: true,
        },
      },
    };
    expect(submitTargetsOf(definition)).toEqual([
      { jobQueue: 'q1', jobDefinition: 'd1:2' },
      { jobQueue: 'q3', jobDefinition: 'd3' },
    ]);
  });
});
