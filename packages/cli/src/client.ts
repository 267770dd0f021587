import { createClient, type TributaryClient } from '@tributary/client';
import type { CommandIo } from './io.js';

/** Runs `work` with a client of the command's server and closes the client after, whatever happens. */
export async function withClient<T>(io: CommandIo, work: (client: TributaryClient) => Promise<T>): Promise<T> {
  const client = createClient({ address: io.server });
  try {
    return await work(client);
  } finally {
    // Closing the channel is what lets the process end by itself once the output is flushed.
    client.close();
  }
}
