import { Code, type RunState, TributaryError } from '@tributary/core';
import { reportError } from '../errors.js';
import { type CommandIo, EXIT_FAILED, EXIT_OK } from '../io.js';
import { gatherParams } from '../params.js';
import { type ParamLocator, placeParamProblems } from '../params-file.js';
import { selectRenderer } from '../render/select.js';

/** Flags of `tributary run`. */
export interface RunCommandOptions {
  /** `--param k=v`, repeatable. @default [] */
  param?: string[];
  /** `--params-file f.yaml`. */
  paramsFile?: string;
  /** One JSON line per event, then the summary. @default false */
  json?: boolean;
  /** `--concurrency N`. @default os.availableParallelism() */
  concurrency?: number;
  /**
   * `--secrets-file f.yaml`: sql tasks' connection URLs (`connections: { name: url }`) and the values of
   * the secrets tasks name (`secrets: { NAME: value }`), after `TRIBUTARY_CONNECTION_<NAME>` and
   * `TRIBUTARY_SECRET_<NAME>` variables. @default $TRIBUTARY_SECRETS_FILE, else none
   */
  secretsFile?: string;
  /**
   * `--dags-dir d`: where dag tasks find the DAGs they trigger (each subfolder, by its spec name).
   * @default the DAG folder's parent
   */
  dagsDir?: string;
  /**
   * `--logical-date <date>`, parsed to epoch ms: run as the DAG's scheduled run for that date would, its
   * data interval up to the schedule's next fire time ([date, date] without a schedule).
   * @default none: the logical date is the time the run starts
   */
  logicalDate?: number;
}

/** The exit code for a finished run: 0 only when it succeeded. */
export function exitCodeFor(state: RunState): number {
  return state === 'succeeded' ? EXIT_OK : EXIT_FAILED;
}

/**
 * `tributary run <path>`: runs a DAG on this machine with live progress. Ctrl-C cancels the run,
 * which still ends with its summary. sql tasks' connections and the secrets tasks name come from `env`
 * (`TRIBUTARY_CONNECTION_<NAME>`, `TRIBUTARY_SECRET_<NAME>`) and the secrets file, as on a worker.
 */
export async function runCommand(
  path: string,
  options: RunCommandOptions,
  io: CommandIo,
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<number> {
  const renderer = selectRenderer(io, options.json ?? false);
  let locate: ParamLocator = () => undefined;
  try {
    const { params, locate: locateParam } = await gatherParams({
      assignments: options.param ?? [],
      ...(options.paramsFile === undefined ? {} : { file: options.paramsFile }),
    });
    locate = locateParam;
    // Loaded on demand, like the client elsewhere: each command pays only for what it uses.
    const [{ runDagLocally }, { createConnectionResolver, createSecretResolver }] = await Promise.all([
      import('@tributary/runner'),
      import('@tributary/executors'),
    ]);
    // An empty variable counts as unset, as for the other TRIBUTARY_* variables.
    const secretsFile = options.secretsFile ?? (env.TRIBUTARY_SECRETS_FILE || undefined);
    const connections = createConnectionResolver({ env, secretsFile });
    const secrets = createSecretResolver({ env, secretsFile });
    const summary = await runDagLocally({
      path,
      params,
      connections,
      secrets,
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      ...(options.dagsDir === undefined ? {} : { dagsDir: options.dagsDir }),
      ...(options.logicalDate === undefined ? {} : { logicalDate: options.logicalDate }),
      signal: io.interrupt(),
      onEvent: (event) => renderer.event(event),
    });
    renderer.summary(summary);
    return exitCodeFor(summary.run.state);
  } catch (error) {
    // Spec and params problems arrive as InvalidArgument: exit 2, each problem on its own line, a
    // param's at the line of the params file that sets it.
    return reportError(io, nameLogicalDateFlag(placeParamProblems(error, locate)));
  }
}

/**
 * The runner names a refused logical date by its option (`logicalDate`); on the command line the user
 * typed `--logical-date`, so the error says that instead.
 */
function nameLogicalDateFlag(error: unknown): unknown {
  if (!(error instanceof TributaryError) || error.code !== Code.InvalidArgument) return error;
  const problem = error.problems.find((each) => each.field === 'logicalDate');
  if (problem === undefined) return error;
  return new TributaryError(Code.InvalidArgument, `--logical-date ${problem.message}`, { cause: error });
}
