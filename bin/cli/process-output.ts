import type { Output } from './account/io';

/** What processOutput needs of a stream: process.stdout and process.stderr, or a test's stand-in. */
export interface OutputStream {
  write: (text: string) => unknown;
  isTTY?: boolean;
  /** A terminal's width; undefined for a pipe or a file. */
  columns?: number;
}

/**
 * The commands' output on the process's streams. Status lines go to stderr, so its being a terminal is
 * what counts for redrawing them (stdout may well be a file). A dumb terminal (TERM=dumb, e.g. an
 * editor's shell) cannot erase a line, so it gets plain lines too. The width is read on use: the window
 * may be resized while a wait is followed.
 */
export function processOutput(
  stdout: OutputStream,
  stderr: OutputStream,
  env: NodeJS.ProcessEnv = process.env,
): Output {
  return {
    out: (text) => {
      stdout.write(text);
    },
    err: (text) => {
      stderr.write(text);
    },
    live: stderr.isTTY === true && env.TERM !== 'dumb',
    get columns() {
      return stderr.columns;
    },
  };
}
