import { taskDefaults } from '@tributary/spec';
import { describe, expect, it } from 'vitest';
import { containerCreateOptions } from './container-create-options.js';
import type { ExecutionRequest } from './types.js';

const task = {
  ...taskDefaults(),
  id: 'train',
  kind: 'container' as const,
  image: 'etl:1',
  command: ['python', 'main.py'],
  args: null,
  workdir: '/work',
  cpu: 0.5,
  memoryBytes: 256 * 1024 * 1024,
  pull: 'if_missing' as const,
  network: 'none' as const,
  user: '1000',
  volumes: [{ hostPath: '/data/in', containerPath: '/in', readOnly: true }],
  skipExitCode: 99,
};
const request: ExecutionRequest = {
  runId: 'r1',
  taskId: 'train',
  attempt: 2,
  task,
  bundleDir: '/cache/abc',
  params: {},
  inputs: {},
  logicalDate: 0,
};
const mounts = { inputDir: '/tmp/x/input', outputDir: '/tmp/x/output' };

describe('containerCreateOptions', () => {
  it('maps limits, user, workdir, mounts and labels onto the create request', () => {
    const options = containerCreateOptions(request, task, { A: '1' }, mounts, { name: 'host-a', pid: 7 });
    expect(options).toMatchObject({
      Image: 'etl:1',
      Entrypoint: ['python', 'main.py'],
      // A command without args drops the image's own command, as in a Kubernetes pod.
      Cmd: [],
      Env: ['A=1'],
      WorkingDir: '/work',
      User: '1000',
      Labels: {
        'tributary.run': 'r1',
        'tributary.task': 'train',
        'tributary.attempt': '2',
        'tributary.worker': 'host-a',
        'tributary.pid': '7',
      },
      HostConfig: {
        Binds: [
          '/cache/abc:/bundle:ro',
          '/tmp/x/input:/tributary/input:ro',
          '/tmp/x/output:/tributary/output',
          '/data/in:/in:ro',
        ],
        NetworkMode: 'none',
        NanoCpus: 500_000_000,
        Memory: 268_435_456,
      },
    });
  });

  it("keeps the image's entrypoint, command and limits when the task sets none", () => {
    const bare = {
      ...task,
      command: null,
      workdir: null,
      user: null,
      cpu: null,
      memoryBytes: null,
      volumes: [],
    };
    const options = containerCreateOptions(request, bare, {}, mounts, { name: 'h', pid: 1 });
    for (const key of ['Entrypoint', 'Cmd', 'WorkingDir', 'User']) expect(options).not.toHaveProperty(key);
    expect(options.HostConfig).not.toHaveProperty('NanoCpus');
    expect(options.HostConfig).not.toHaveProperty('Memory');
  });
});
