import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDagSpec } from '@tributary/spec';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type CliResult, runCliInProcess } from '../run-cli.test-util.js';

// `tributary params` in process, through the real program, spec loader and local runner.

const folders: string[] = [];

afterEach(async () => {
  await Promise.all(folders.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function cli(...args: string[]): Promise<CliResult> {
  return runCliInProcess(args);
}

/** A DAG whose one shell task echoes its params, so the run's output shows what it was given. */
const ECHO_DAG = `name: echo_params
params:
  region: { type: string, enum: [eu, us], description: Where the data lives }
  limit: { type: integer, minimum: 1, default: 10, description: Rows at most }
  storage:
    type: object
    description: Where to write
    required: [bucket]
    properties:
      bucket: { type: string, description: The bucket name }
      retries: { type: integer, default: 2 }
tasks:
  echo:
    kind: shell
    command: echo "$TRIBUTARY_PARAMS"
`;

async function folder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-params-cmd-'));
  folders.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

describe('tributary params', () => {
  it("prints the params' JSON Schema by default: the model's, as draft-07", async () => {
    const dir = await folder({ 'dag.yaml': ECHO_DAG });
    const { code, out, err } = await cli('params', dir);
    expect(err).toBe('');
    expect(code).toBe(0);
    const { $schema, ...schema } = JSON.parse(out) as Record<string, unknown>;
    expect($schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema).toEqual(parseDagSpec(ECHO_DAG, { file: 'dag.yaml' }).model?.paramsSchema);
    expect(schema).toMatchObject({ type: 'object', required: ['region', 'storage'] });
    expect(out).toContain('\n  "type": "object",\n');
  });

  it('prints a YAML form with comments from the spec that reads back as the defaults', async () => {
    const dir = await folder({ 'dag.yaml': ECHO_DAG });
    const { code, out } = await cli('params', join(dir, 'dag.yaml'), '--format', 'yaml');
    expect(code).toBe(0);
    expect(parse(out)).toEqual({ region: null, limit: 10, storage: { bucket: null, retries: 2 } });
    expect(out).toContain('# Where the data lives\n# type: string; one of: eu, us; required\nregion: null');
    expect(out).toContain('  # The bucket name\n  # type: string; required\n  bucket: null  # required');
  });

  it('round trip: the filled form runs the DAG with those params, defaults applied', async () => {
    const dir = await folder({ 'dag.yaml': ECHO_DAG });
    const form = await cli('params', dir, '--format', 'yaml');
    const filled = form.out.replace('region: null', 'region: us').replace('bucket: null', 'bucket: reports');
    const file = join(dir, 'form.yaml');
    await writeFile(file, filled);
    const run = await cli('run', dir, '--params-file', file, '--json');
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.out.trimEnd().split('\n').at(-1) ?? '') as {
      run: { state: string };
      tasks: { echo: { output: unknown } };
    };
    expect(summary.run.state).toBe('succeeded');
    expect(summary.tasks.echo.output).toEqual({
      region: 'us',
      limit: 10,
      storage: { bucket: 'reports', retries: 2 },
    });
  });

  it('a badly filled form exits 2 naming every bad field at its line in the form', async () => {
    const dir = await folder({ 'dag.yaml': ECHO_DAG });
    const form = await cli('params', dir, '--format', 'yaml');
    const filled = form.out
      .replace('region: null', 'region: asia')
      .replace('bucket: null', 'bucket: reports')
      .replace('limit: 10', 'limit: 0');
    const file = join(dir, 'form.yaml');
    await writeFile(file, filled);
    const lineOf = (key: string) => filled.split('\n').findIndex((line) => line.startsWith(key)) + 1;
    const run = await cli('run', dir, '--params-file', file);
    expect(run.code).toBe(2);
    expect(run.out).toBe('');
    expect(run.err).toContain("invalid params for DAG 'echo_params' (2 problems)");
    expect(run.err).toContain(`${file}:${lineOf('limit:')}:1: field 'params.limit': must be >= 1`);
    expect(run.err).toContain(
      `${file}:${lineOf('region:')}:1: field 'params.region': must be equal to one of the allowed values: "eu", "us"`,
    );
  });

  it('exits 2 with every problem of an invalid spec on stderr, leaving stdout empty', async () => {
    const dir = await folder({
      'dag.yaml':
        'name: broken\nparams:\n  n: { type: integr }\ntasks:\n  a: { kind: shell, command: echo, needs: [nope] }\n',
    });
    const { code, out, err } = await cli('params', dir, '--format', 'yaml');
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(/^error: \[invalid_argument\] the DAG spec at .* is invalid \(2 problems\)\n/);
    expect(err).toMatch(/dag\.yaml:3:\d+: field 'params\.n': /);
    expect(err).toMatch(/dag\.yaml:5:\d+: task 'a', field '[^']+': /);
  });

  it('exits 2 for a folder that does not exist and for an unknown format', async () => {
    const missing = await cli('params', '/nonexistent/dag');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('no such DAG folder or spec file: /nonexistent/dag');
    const dir = await folder({ 'dag.yaml': ECHO_DAG });
    const format = await cli('params', dir, '--format', 'xml');
    expect(format.code).toBe(2);
    expect(format.err).toContain("argument 'xml' is invalid. Allowed choices are json, yaml.");
  });
});
