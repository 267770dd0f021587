/** Flags of `tributary worker`. */
export interface WorkerCommandOptions {
  /** `--pool`, repeatable, each possibly comma-separated. */
  pool?: string[];
  concurrency?: number;
  natsUrl?: string;
  /** sql connection URLs by name (YAML or JSON); `TRIBUTARY_CONNECTION_<NAME>` variables win. */
  secretsFile?: string;
  /** The coordinator's API address, through which dag tasks trigger child runs. @default $TRIBUTARY_SERVER */
  server?: string;
}

/** Splits repeated, comma-separated `--pool` values into distinct pool names, in order. */
export function parsePools(values: readonly string[]): string[] {
  const pools = values.flatMap((value) => value.split(',')).map((pool) => pool.trim());
  return [...new Set(pools.filter((pool) => pool !== ''))];
}

/** `tributary worker`: starts a worker in this process; it handles its own signals. */
export async function workerCommand(options: WorkerCommandOptions, env: NodeJS.ProcessEnv): Promise<void> {
  const pools = parsePools(options.pool ?? []);
  // Loaded on demand: `tributary run` should not pay for (or need) the service's drivers.
  const { runWorkerMain } = await import('@tributary/worker');
  await runWorkerMain(
    {
      ...(pools.length === 0 ? {} : { pools }),
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      ...(options.natsUrl === undefined ? {} : { natsUrl: options.natsUrl }),
      ...(options.secretsFile === undefined ? {} : { secretsFile: options.secretsFile }),
      ...(options.server === undefined ? {} : { server: options.server }),
    },
    env,
  );
}
