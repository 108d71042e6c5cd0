import { describe, expect, it } from 'vitest';
import { type OutputStream, processOutput } from '../../bin/cli/process-output';

function stream(fields: Partial<OutputStream> = {}): OutputStream & { written: string } {
  const written = {
    written: '',
    write(text: string) {
      this.written += text;
      return true;
    },
    ...fields,
  };
  return written;
}

describe('processOutput', () => {
  it('writes results to stdout and progress to stderr', () => {
    const stdout = stream();
    const stderr = stream();
    const output = processOutput(stdout, stderr, {});
    output.out('result\n');
    output.err('progress\n');
    expect([stdout.written, stderr.written]).toEqual(['result\n', 'progress\n']);
  });

  it('redraws only on a terminal stderr that can erase a line', () => {
    expect(processOutput(stream(), stream({ isTTY: true }), { TERM: 'xterm-256color' }).live).toBe(true);
    // stdout a terminal, stderr a file: the status lines go to the file.
    expect(processOutput(stream({ isTTY: true }), stream(), {}).live).toBe(false);
    expect(processOutput(stream(), stream({ isTTY: true }), { TERM: 'dumb' }).live).toBe(false);
  });

  it("reads stderr's width on use, so a resized terminal is followed", () => {
    const stderr = stream({ isTTY: true, columns: 120 });
    const output = processOutput(stream(), stderr, {});
    expect(output.columns).toBe(120);
    stderr.columns = 80;
    expect(output.columns).toBe(80);
    expect(processOutput(stream(), stream(), {}).columns).toBeUndefined();
  });
});
