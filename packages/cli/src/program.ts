import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { backfillCommand } from './commands/backfill.js';
import { cancelCommand } from './commands/cancel.js';
import { clearCommand } from './commands/clear.js';
import { coordinatorCommand } from './commands/coordinator.js';
import { dagsCommand } from './commands/dags.js';
import { deployCommand } from './commands/deploy.js';
import { rejectedEventsCommand } from './commands/events.js';
import { logsCommand } from './commands/logs.js';
import { PARAMS_FORMATS, paramsCommand } from './commands/params.js';
import { pauseCommand } from './commands/pause.js';
import { runCommand } from './commands/run.js';
import { runsCommand } from './commands/runs.js';
import { statusCommand } from './commands/status.js';
import { triggerCommand } from './commands/trigger.js';
import { validateCommand } from './commands/validate.js';
import { workerCommand } from './commands/worker.js';
import { workersCommand } from './commands/workers.js';
import { DATE_ARGUMENT_FORMS, parseDateArgument } from './dates.js';
import { reportError } from './errors.js';
import { type CommandIo, EXIT_OK, EXIT_USAGE } from './io.js';

/** What a command line needs from the process: output, colour, Ctrl-C. The server comes from flags/env. */
export type ProcessIo = Omit<CommandIo, 'server'>;

function positiveInteger(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError('must be a positive integer');
  return value;
}

function nonNegativeInteger(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return value;
}

function dateArgument(text: string): number {
  const ms = parseDateArgument(text);
  if (ms === undefined) throw new InvalidArgumentError(`must be ${DATE_ARGUMENT_FORMS}`);
  return ms;
}

/** Collects a repeatable option. No default `[]` given to commander, so that help shows none. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Adds `--param` and `--params-file`, shared by `run` and `trigger`. */
function withParams(command: Command): Command {
  return command
    .option('--param <key=value>', 'a run parameter; the value is JSON when it parses (repeatable)', collect)
    .option('--params-file <file>', 'a YAML or JSON file of run parameters (--param overrides it)');
}

/**
 * Builds the `tributary` command line. Each action stores its exit code in `result.code` rather than
 * exiting: the caller sets `process.exitCode`, so nothing written is lost on a pipe.
 */
export function createProgram(base: ProcessIo, env: NodeJS.ProcessEnv, result: { code: number }): Command {
  const program = new Command('tributary')
    .description('Run DAG workflows on this machine or on a Tributary cluster.')
    .option(
      '--server <host:port>',
      "the coordinator's API address (default: $TRIBUTARY_SERVER, else 127.0.0.1:7070)",
    )
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (text) => base.out(text), writeErr: (text) => base.err(text) });
  const io = (): CommandIo => {
    const server = (program.opts().server as string | undefined) ?? env.TRIBUTARY_SERVER;
    return server === undefined || server === '' ? { ...base } : { ...base, server };
  };
  const act = async (action: () => Promise<number>): Promise<void> => {
    result.code = await action();
  };
  // Commander passes (args..., options, command); each handler picks what it needs.
  withParams(program.command('run <path>').description('run a DAG on this machine, no services needed'))
    .option('--json', 'one JSON line per event, then a summary object')
    .option('--concurrency <n>', 'task attempts at once (default: CPU count)', positiveInteger)
    .option(
      '--secrets-file <file>',
      "sql tasks' connection URLs and tasks' secrets, as connections: { name: url } and secrets: { NAME: value } (default: $TRIBUTARY_SECRETS_FILE)",
    )
    .option(
      '--dags-dir <dir>',
      "where dag tasks find the DAGs they trigger, by each subfolder's spec name (default: the DAG folder's parent)",
    )
    .option(
      '--logical-date <date>',
      "run as the DAG's scheduled run for this logical date would, YYYY-MM-DD (UTC) or ISO; a fire time of its schedule, if it has one",
      dateArgument,
    )
    .action((path: string, options) => act(() => runCommand(path, options, io(), env)));
  program
    .command('validate <path...>')
    .description('check DAG specs and print every problem')
    .action((paths: string[]) => act(() => validateCommand(paths, io())));
  program
    .command('params <path>')
    .description("print a DAG's run params as JSON Schema, or as a YAML form for run --params-file")
    .addOption(
      new Option('--format <format>', 'json (the schema) or yaml (a form to fill in)')
        .choices(PARAMS_FORMATS)
        .default('json'),
    )
    .action((path: string, options) => act(() => paramsCommand(path, options, io())));
  program
    .command('coordinator')
    .description('start the coordinator (gRPC API + run loop)')
    .option('--listen <host:port>', 'the API address to listen on')
    .option('--database-url <url>', 'the Postgres connection URL')
    .option('--nats-url <url>', 'the NATS server URL')
    .action((options) =>
      act(async () => {
        await coordinatorCommand(options, env);
        return EXIT_OK;
      }),
    );
  program
    .command('worker')
    .description('start a worker that pulls tasks from NATS')
    .option('--pool <name>', 'a pool to serve; repeatable or comma-separated', collect)
    .option('--concurrency <n>', 'attempts this worker runs at once', positiveInteger)
    .option('--nats-url <url>', 'the NATS server URL')
    .option(
      '--secrets-file <file>',
      'sql connection URLs and task secrets by name (default: $TRIBUTARY_SECRETS_FILE)',
    )
    .option(
      '--server <host:port>',
      "the coordinator's API address, for dag tasks' child runs (default: $TRIBUTARY_SERVER, else 127.0.0.1:7070)",
    )
    .action((options) =>
      act(async () => {
        // `tributary --server x worker` sets the program's option; `worker --server x` this command's.
        const server =
          (options.server as string | undefined) ?? (program.opts().server as string | undefined);
        await workerCommand({ ...options, ...(server === undefined ? {} : { server }) }, env);
        return EXIT_OK;
      }),
    );
  program
    .command('deploy <dir>')
    .description('validate a DAG folder and register it on the server')
    .action((dir: string) => act(() => deployCommand(dir, io())));
  withParams(program.command('trigger <dag>').description('start a run on the server'))
    .option('--request-id <id>', 'makes the trigger idempotent: the same id returns the same run')
    .option('--version <n>', 'the DAG version to run (default: the latest)', nonNegativeInteger)
    .option('--wait', 'follow the run to its end with live progress')
    .option('--json', 'print JSON (with --wait: the same lines as run --json)')
    .action((dag: string, options) => act(() => triggerCommand(dag, options, io())));
  program
    .command('status <run>')
    .description("show a run's state, task by task")
    .option('--json', 'print the run as JSON')
    .action((runId: string, options) => act(() => statusCommand(runId, options, io())));
  program
    .command('runs [dag]')
    .description('list runs, newest first')
    .option('--limit <n>', 'runs per page', positiveInteger)
    .option('--page-token <token>', 'the page to show, from a previous listing')
    .option('--json', 'print JSON')
    .action((dag: string | undefined, options) => act(() => runsCommand(dag, options, io())));
  program
    .command('dags')
    .description('list registered DAGs')
    .option('--json', 'print JSON')
    .action((options) => act(() => dagsCommand(options, io())));
  program
    .command('pause <dag>')
    .description("stop a DAG's scheduled, event and after runs (runs in flight go on)")
    .action((dag: string) => act(() => pauseCommand(dag, true, io())));
  program
    .command('unpause <dag>')
    .description("resume a DAG's scheduled, event and after runs")
    .action((dag: string) => act(() => pauseCommand(dag, false, io())));
  program
    .command('backfill <dag>')
    .description("run a DAG's schedule for the data intervals whose logical dates fall in a range")
    .requiredOption(
      '--from <date>',
      'the first logical date, included: YYYY-MM-DD (UTC) or ISO',
      dateArgument,
    )
    .requiredOption('--to <date>', 'the last logical date, included: YYYY-MM-DD (UTC) or ISO', dateArgument)
    .option('--rerun-failed', 'clear the failed tasks of the runs in the range that failed, to run again')
    .option('--no-wait', 'return once the runs are created instead of following them to their end')
    .option('--json', 'print JSON lines: the runs, each change of progress, the final states')
    .action((dag: string, options) => act(() => backfillCommand(dag, options, io())));
  program
    .command('events')
    .description('inspect event triggers')
    .command('rejected')
    .description('list event messages that started no run, newest first')
    .option('--dag <dag>', "only this DAG's")
    .option('--limit <n>', 'at most this many (default: 50)', positiveInteger)
    .option('--json', 'print JSON')
    .action((options) => act(() => rejectedEventsCommand(options, io())));
  program
    .command('workers')
    .description('list workers: live, stopped or unresponsive, with what they run')
    .option('--pool <name>', 'only workers serving this pool')
    .option('--json', 'print JSON')
    .action((options) => act(() => workersCommand(options, io())));
  program
    .command('logs <run> <task>')
    .description("show a task attempt's log lines (the latest attempt unless --attempt is given)")
    .option('--attempt <n>', 'the attempt to show', positiveInteger)
    .option('-f, --follow', 'keep printing lines as they are logged, until the attempt ends')
    .action((runId: string, taskId: string, options) => act(() => logsCommand(runId, taskId, options, io())));
  program
    .command('cancel <run>')
    .description('cancel a run')
    .option('--reason <text>', 'why, recorded with the run')
    .action((runId: string, options) => act(() => cancelCommand(runId, options, io())));
  program
    .command('clear <run> <task...>')
    .description('reset finished tasks to run again within the run (a finished run runs again)')
    .option('--downstream', 'also clear every task downstream of them')
    .option('--failed-only', 'only clear tasks that failed or were upstream_failed')
    .option('--json', 'print the cleared tasks and the run as JSON')
    .action((runId: string, taskIds: string[], options) =>
      act(() => clearCommand(runId, taskIds, options, io())),
    );
  return program;
}

/** Runs one command line (without `node` and the script) and returns the exit code. */
export async function runCli(
  args: readonly string[],
  base: ProcessIo,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const result = { code: EXIT_OK };
  const program = createProgram(base, env, result);
  try {
    await program.parseAsync([...args], { from: 'user' });
    return result.code;
  } catch (error) {
    // Commander has already printed usage errors; help and version requests end here too, with 0.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    return reportError(base, error);
  }
}
