import type { TributaryClient } from '@tributary/client';
import type { CommandIo } from './io.js';

/**
 * Runs `work` with a client of the command's server and closes the client after, whatever happens.
 * The client (and grpc-js under it) is loaded on demand: `tributary run` and `validate` never need it.
 */
export async function withClient<T>(
  io: CommandIo,
  work: (client: TributaryClient) => Promise<T>,
): Promise<T> {
  const { createClient } = await import('@tributary/client');
  const client = createClient(io.server === undefined ? {} : { address: io.server });
  try {
    return await work(client);
  } finally {
    // Closing the channel is what lets the process end by itself once the output is flushed.
    client.close();
  }
}
