import type { TaskLogLine } from '@tributary/proto';
import { LogStream, millisFromTimestamp } from '@tributary/proto';
import { withClient } from '../client.js';
import { reportError } from '../errors.js';
import { type CommandIo, EXIT_OK } from '../io.js';
import { createPalette } from '../render/colors.js';
import { formatLogLine, type PrintableLogLine } from '../render/log-line.js';

/** Flags of `tributary logs`. */
export interface LogsCommandOptions {
  /** `--attempt N`: the attempt to show. @default the task's latest */
  attempt?: number;
  /** `-f`/`--follow`: keep printing lines as they are logged until the attempt ends. @default false */
  follow?: boolean;
}

const STREAMS: Partial<Record<LogStream, PrintableLogLine['stream']>> = {
  [LogStream.STDOUT]: 'stdout',
  [LogStream.STDERR]: 'stderr',
  [LogStream.LOG]: 'log',
};

/** A line of the API as the shared formatter takes it. */
export function printableLogLine(line: TaskLogLine): PrintableLogLine {
  const printable: PrintableLogLine = {
    at: line.at === undefined ? 0 : millisFromTimestamp(line.at),
    stream: STREAMS[line.stream] ?? 'stdout',
    line: line.line,
  };
  if (line.level !== '') printable.level = line.level;
  return printable;
}

/**
 * `tributary logs <run> <task>`: a task attempt's log lines, the latest attempt unless `--attempt`
 * says which; with `--follow`, live until the attempt ends (Ctrl-C stops following, exit 0). Lines go to
 * stdout; gaps (lines the worker could not ship) are reported on stderr.
 */
export async function logsCommand(
  runId: string,
  taskId: string,
  options: LogsCommandOptions,
  io: CommandIo,
): Promise<number> {
  const palette = createPalette(io.color);
  const signal = options.follow ? io.interrupt() : undefined;
  try {
    await withClient(io, async (client) => {
      const responses = client.streamTaskLogs(runId, taskId, {
        attempt: options.attempt ?? 0,
        follow: options.follow ?? false,
        ...(signal === undefined ? {} : { signal }),
      });
      for await (const response of responses) {
        if (response.dropped > 0) {
          io.err(`… ${response.dropped} line(s) of attempt ${response.attempt} were lost before these\n`);
        }
        io.out(response.lines.map((line) => formatLogLine(printableLogLine(line), palette)).join(''));
      }
    });
    return EXIT_OK;
  } catch (error) {
    // Ctrl-C while following is how a person stops reading, not a failure.
    if (signal?.aborted) return EXIT_OK;
    return reportError(io, error);
  }
}
