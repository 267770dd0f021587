import { realpath } from 'node:fs/promises';
import { sep } from 'node:path';
import type { Failure } from '@tributary/core';
import type { ContainerVolume } from '@tributary/spec';

/**
 * Refuses the task's volumes unless each host path is, once symlinks are resolved, one of `allowed` or
 * inside one of them (a link in an allowed folder must not lead to `/etc`). Returns the failure of the
 * first refused volume (`ContainerVolumeDenied`, not retryable: the same DAG asks again for the same
 * mount), or undefined when all are allowed.
 */
export async function checkContainerVolumes(
  taskId: string,
  volumes: readonly ContainerVolume[],
  allowed: readonly string[],
): Promise<Failure | undefined> {
  if (volumes.length === 0) return undefined;
  const roots = await Promise.all(allowed.map((root) => realpath(root).catch(() => undefined)));
  for (const volume of volumes) {
    const real = await realpath(volume.hostPath).catch(() => undefined);
    const inside = (root: string | undefined) =>
      real !== undefined &&
      root !== undefined &&
      (real === root || real.startsWith(root.endsWith(sep) ? root : root + sep));
    if (roots.some(inside)) continue;
    const why =
      real === undefined
        ? `host path '${volume.hostPath}' does not exist on this worker`
        : allowed.length === 0
          ? 'this worker allows no volumes (its operator lists the folders it allows in TRIBUTARY_CONTAINER_VOLUMES)'
          : `host path '${volume.hostPath}' is not under a folder this worker allows (${allowed.join(', ')})`;
    return {
      type: 'ContainerVolumeDenied',
      message: `task '${taskId}': volume '${volume.hostPath}:${volume.containerPath}' is denied: ${why}`,
      retryable: false,
      details: { hostPath: volume.hostPath, containerPath: volume.containerPath },
    };
  }
  return undefined;
}
