/** Flags of `tributary coordinator`. */
export interface CoordinatorCommandOptions {
  listen?: string;
  databaseUrl?: string;
  natsUrl?: string;
}

/**
 * `tributary coordinator`: starts the coordinator in this process. It handles its own signals and
 * resolves when it has shut down.
 */
export async function coordinatorCommand(
  options: CoordinatorCommandOptions,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  // Loaded on demand: `tributary run` should not pay for (or need) the service's drivers.
  const { runCoordinatorMain } = await import('@tributary/coordinator');
  await runCoordinatorMain(
    {
      ...(options.listen === undefined ? {} : { listen: options.listen }),
      ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
      ...(options.natsUrl === undefined ? {} : { natsUrl: options.natsUrl }),
    },
    env,
  );
}
