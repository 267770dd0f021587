import { format } from 'node:util';

type ConsoleSink = (stream: 'stdout' | 'stderr', text: string) => void;

const METHODS = [
  ['log', 'stdout'],
  ['info', 'stdout'],
  ['debug', 'stdout'],
  ['warn', 'stderr'],
  ['error', 'stderr'],
] as const;

let sink: ConsoleSink | undefined;
let installed = false;

/**
 * Routes this thread's `console.log/info/debug` (stdout) and `console.warn/error` (stderr) to `next`
 * until called again with `undefined`. Per task is reliable because a pool thread runs one task at a
 * time (piscina `concurrentTasksPerWorker: 1`); with no task running, console writes go where they
 * always go. Direct `process.stdout.write` calls are not captured.
 */
export function captureConsole(next: ConsoleSink | undefined): void {
  if (!installed) {
    installed = true;
    for (const [method, stream] of METHODS) {
      const original = console[method].bind(console);
      console[method] = (...args: unknown[]) => {
        if (sink === undefined) original(...args);
        else sink(stream, format(...args));
      };
    }
  }
  sink = next;
}
