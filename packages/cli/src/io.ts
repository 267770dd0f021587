/**
 * What a command may touch of the outside world. Only `main.ts` builds one from the real process
 * (stdout, env, signals); tests build their own.
 */
export interface CommandIo {
  /** Writes to standard output. */
  out(text: string): void;
  /** Writes to standard error. */
  err(text: string): void;
  /** Colour standard output (it is a TTY and NO_COLOR is unset). */
  color: boolean;
  /** The server address for client commands (`host:port`). @default the client's DEFAULT_SERVER_ADDRESS */
  server?: string;
  /**
   * A signal aborted when the user presses Ctrl-C. Only commands that can stop cleanly ask for it:
   * the first call installs the handler, so other commands keep Node's default (exit at once).
   */
  interrupt(): AbortSignal;
}

/** Exit codes: 0 success, 1 the run (or the check) failed, 2 bad usage or invalid input. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
