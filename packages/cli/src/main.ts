#!/usr/bin/env node
import { runCli } from './program.js';

// The only file that touches the real process: argv, env, stdout and signals.

let interrupted: AbortController | undefined;

/** The first Ctrl-C cancels gracefully (the command still prints its summary); a second one quits now. */
function interrupt(): AbortSignal {
  if (interrupted === undefined) {
    const controller = new AbortController();
    interrupted = controller;
    process.on('SIGINT', () => {
      if (!controller.signal.aborted) {
        process.stderr.write('\ncancelling (press Ctrl-C again to quit now)\n');
        controller.abort(new Error('interrupted by Ctrl-C'));
        return;
      }
      process.exit(130);
    });
  }
  return interrupted.signal;
}

const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';

// Exit by setting exitCode and letting the event loop drain: process.exit() here could cut off output
// still queued for a pipe. The coordinator and worker commands set their own exit code (1 when they
// fail to start, 78 for a schema too new), which a successful command return must not overwrite.
const code = await runCli(
  process.argv.slice(2),
  {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    color: process.stdout.isTTY === true && !noColor,
    interrupt,
  },
  process.env,
);
if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
