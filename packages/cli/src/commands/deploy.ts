import { withClient } from '../client.js';
import { reportError } from '../errors.js';
import { type CommandIo, EXIT_FAILED, EXIT_OK } from '../io.js';
import { checkDag } from './validate.js';

/**
 * `tributary deploy <dag folder>`: validates the folder here first (so a broken DAG never reaches the
 * server), then registers it. The server answers with the existing version when nothing changed.
 */
export async function deployCommand(dir: string, io: CommandIo): Promise<number> {
  try {
    const checked = await checkDag(dir, io);
    if (checked.model === undefined) {
      const count = checked.problems.length;
      io.out(`${count} problem${count === 1 ? '' : 's'}: not deployed\n`);
      return EXIT_FAILED;
    }
    const { version, created } = await withClient(io, (client) => client.deployDagFolder(dir));
    if (version === undefined) throw new Error('the server returned no version');
    io.out(
      created
        ? `deployed ${version.dag} version ${version.version} (${version.bundleHash.slice(0, 12)})\n`
        : `unchanged: ${version.dag} version ${version.version}\n`,
    );
    return EXIT_OK;
  } catch (error) {
    return reportError(io, error);
  }
}
