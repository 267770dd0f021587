import { formatProblem } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { parseDagSpec } from './parse.js';
import { DAG_SPEC_SCHEMA } from './schema.js';

const parse = (text: string) => parseDagSpec(text, { file: 'dag.yaml' });
const problemsOf = (text: string) => parse(text).problems.map(formatProblem);

describe('container tasks in the spec', () => {
  it('compiles every container field, with templates kept verbatim', () => {
    const { model, problems } = parse(`
name: x
params:
  day: { type: string, default: '2026-01-01' }
tasks:
  train:
    kind: container
    image: registry.local:5000/ml/train:1.4
    command: [python, /bundle/train.py]
    args: ['--day', '{{ params.day }}']
    env: { MODE: fast }
    workdir: /work
    cpu: 500m
    memory: 256Mi
    pull: never
    network: bridge
    user: '1000:1000'
    volumes: [/data/in:/in:ro, /data/out:/out]
    skip_exit_code: 3
    timeout: 10m
    retries: 2
    pool: gpu
`);
    expect(problems).toEqual([]);
    expect(model?.tasks[0]).toMatchObject({
      kind: 'container',
      image: 'registry.local:5000/ml/train:1.4',
      command: ['python', '/bundle/train.py'],
      args: ['--day', '{{ params.day }}'],
      env: { MODE: 'fast' },
      workdir: '/work',
      cpu: 0.5,
      memoryBytes: 256 * 1024 * 1024,
      pull: 'never',
      network: 'bridge',
      user: '1000:1000',
      volumes: [
        { hostPath: '/data/in', containerPath: '/in', readOnly: true },
        { hostPath: '/data/out', containerPath: '/out', readOnly: false },
      ],
      skipExitCode: 3,
      timeoutMs: 600_000,
      retries: 2,
      pool: 'gpu',
    });
  });

  it("defaults to the image's command, no limits, pull if_missing, no network and skip code 99", () => {
    const { model, problems } = parse('name: x\ntasks:\n  c: { kind: container, image: busybox, cpu: 2 }\n');
    expect(problems).toEqual([]);
    expect(model?.tasks[0]).toMatchObject({
      command: null,
      args: null,
      workdir: null,
      cpu: 2,
      memoryBytes: null,
      pull: 'if_missing',
      network: 'none',
      user: null,
      volumes: [],
      skipExitCode: 99,
    });
  });

  it('requires an image, naming the file, line and field', () => {
    expect(problemsOf('name: x\ntasks:\n  c:\n    kind: container\n')).toEqual([
      "dag.yaml:3:3: task 'c', field 'tasks.c.image': missing required field 'image'",
    ]);
  });

  it('refuses a command written as one string, a number in args, and bad limits, each where it is', () => {
    expect(
      problemsOf(`name: x
tasks:
  c:
    kind: container
    image: busybox
    command: python main.py
    args: [--n, 3]
    cpu: 0
    memory: 1Mi
    pull: sometimes
    network: overlay
`),
    ).toEqual([
      "dag.yaml:6:14: task 'c', field 'tasks.c.command': must be a list of strings (got 'python main.py'), e.g. [python, main.py]: it runs without a shell",
      "dag.yaml:7:17: task 'c', field 'tasks.c.args[1]': must be a string (got 3) (quote it: '3')",
      "dag.yaml:8:10: task 'c', field 'tasks.c.cpu': must be a number of cores above 0, e.g. 0.5, or millicores, e.g. 500m (got 0)",
      "dag.yaml:9:13: task 'c', field 'tasks.c.memory': must be at least 6Mi, the least a container engine accepts (got '1Mi')",
      "dag.yaml:10:11: task 'c', field 'tasks.c.pull': unknown pull policy 'sometimes'; use one of: always, if_missing, never",
      "dag.yaml:11:14: task 'c', field 'tasks.c.network': unknown network 'overlay'; use one of: none, bridge, host",
    ]);
  });

  it('refuses volumes that are relative, lack a container path or land on the executor paths', () => {
    expect(
      problemsOf(`name: x
tasks:
  c:
    kind: container
    image: busybox
    volumes:
      - data:/data
      - /data
      - /data:/bundle/x
      - /data:/data:rx
`),
    ).toEqual([
      "dag.yaml:7:9: task 'c', field 'tasks.c.volumes[0]': invalid volume: the host path 'data' is not absolute (write host_path:container_path, optionally :ro)",
      "dag.yaml:8:9: task 'c', field 'tasks.c.volumes[1]': invalid volume: '/data' is not host_path:container_path[:ro] (write host_path:container_path, optionally :ro)",
      "dag.yaml:9:9: task 'c', field 'tasks.c.volumes[2]': invalid volume: the container path '/bundle/x' is taken: / , /bundle and /tributary/... are the executor's (write host_path:container_path, optionally :ro)",
      "dag.yaml:10:9: task 'c', field 'tasks.c.volumes[3]': invalid volume: '/data:/data:rx' ends in 'rx'; the mode is ro or rw (write host_path:container_path, optionally :ro)",
    ]);
  });

  it('checks the templates of command and args like env values', () => {
    expect(
      problemsOf(`name: x
tasks:
  c:
    kind: container
    image: busybox
    command: [echo, '{{ inputs.nope.x }}']
`),
    ).toEqual([
      expect.stringMatching(
        /^dag\.yaml:6:21: task 'c', field 'tasks\.c\.command\[1\]': \{\{ inputs\.nope\.x \}\}/,
      ),
    ]);
  });

  it('tells a shell field on a container task apart from a typo', () => {
    expect(problemsOf('name: x\ntasks:\n  c: { kind: container, image: busybox, statement: x }\n')).toEqual([
      "dag.yaml:3:41: task 'c', field 'tasks.c.statement': unknown field 'statement' for a container task (only sql tasks have it)",
    ]);
  });

  it('publishes a containerTask schema whose command is a list', () => {
    const definitions = DAG_SPEC_SCHEMA.definitions as Record<
      string,
      { properties: Record<string, unknown> }
    >;
    expect(definitions.containerTask?.properties.command).toMatchObject({ type: 'array' });
    expect(definitions.shellTask?.properties.command).toMatchObject({ type: 'string' });
  });
});
