import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkContainerVolumes } from './container-volumes.js';

let root: string;
let allowed: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tributary-volumes-'));
  allowed = join(root, 'allowed');
  await mkdir(join(allowed, 'in'), { recursive: true });
  await mkdir(join(root, 'allowed-not'));
  // A link inside the allowed folder that leads out of it.
  await symlink('/etc', join(allowed, 'etc-link'));
});

afterAll(() => rm(root, { recursive: true, force: true }));

const volume = (hostPath: string) => ({ hostPath, containerPath: '/v', readOnly: true });

describe('checkContainerVolumes', () => {
  it('allows an allowed folder and what is inside it', async () => {
    expect(
      await checkContainerVolumes('t', [volume(allowed), volume(join(allowed, 'in'))], [allowed]),
    ).toBeUndefined();
  });

  it('refuses a sibling whose name starts like an allowed folder', async () => {
    const failure = await checkContainerVolumes('t', [volume(join(root, 'allowed-not'))], [allowed]);
    expect(failure).toMatchObject({ type: 'ContainerVolumeDenied', retryable: false });
  });

  it('refuses a symlink out of an allowed folder, judged by where it leads', async () => {
    const failure = await checkContainerVolumes('t', [volume(join(allowed, 'etc-link'))], [allowed]);
    expect(failure?.message).toBe(
      `task 't': volume '${join(allowed, 'etc-link')}:/v' is denied: host path '${join(allowed, 'etc-link')}' is not under a folder this worker allows (${allowed})`,
    );
  });

  it('says when the worker allows no volumes, and when the host path does not exist', async () => {
    expect((await checkContainerVolumes('t', [volume(allowed)], []))?.message).toContain(
      'this worker allows no volumes (its operator lists the folders it allows in TRIBUTARY_CONTAINER_VOLUMES)',
    );
    expect(
      (await checkContainerVolumes('t', [volume(join(allowed, 'missing'))], [allowed]))?.message,
    ).toContain(`host path '${join(allowed, 'missing')}' does not exist on this worker`);
  });
});
