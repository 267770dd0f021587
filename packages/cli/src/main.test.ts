import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// End to end: the built CLI (`npx tsc -b packages/cli` first) in a child process, stdout a pipe.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = join(ROOT, 'packages/cli/dist/main.js');

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('tributary (built CLI)', () => {
  it('runs examples/hello with --json through a pipe: summary last, every task succeeded, exit 0', async () => {
    const { code, stdout, stderr } = await cli('run', 'examples/hello', '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = jsonLines(stdout);
    const summary = lines.at(-1) as {
      run: Record<string, unknown>;
      tasks: Record<string, { state: string }>;
    };
    expect(summary.run).toEqual({ id: expect.any(String), dag: 'hello', state: 'succeeded' });
    expect(Object.keys(summary.tasks)).toEqual(['say_hello', 'greet', 'wrap_up']);
    expect(Object.values(summary.tasks).every((task) => task.state === 'succeeded')).toBe(true);
    expect(summary.tasks.wrap_up).toEqual({
      state: 'succeeded',
      attempts: 1,
      output: { shell: { greeting: 'Hello' }, node: { message: 'Hello, world!' } },
    });
    expect(lines[0]).toMatchObject({ type: 'run', state: 'running', dag: 'hello' });
  });

  it('runs examples/diamond with --param n=5 to its exact outputs', async () => {
    const { code, stdout } = await cli('run', 'examples/diamond', '--json', '--param', 'n=5');
    expect(code).toBe(0);
    const summary = jsonLines(stdout).at(-1) as { tasks: Record<string, { output?: unknown }> };
    expect(summary.tasks.extract?.output).toEqual({ numbers: [1, 2, 3, 4, 5] });
    expect(summary.tasks.transform_b?.output).toEqual({ sum: 15 });
    expect(summary.tasks.load?.output).toEqual({ doubled: [2, 4, 6, 8, 10], sum: 15 });
  });

  it('exits 1 when the run fails, showing the error and the log lines as they came', async () => {
    const { code, stdout } = await cli('run', 'examples/failing');
    expect(code).toBe(1);
    expect(stdout).toMatch(/✘ flaky +failed +attempt 3/);
    // The same lines `tributary logs` prints, after their task; the tail is not repeated after them.
    expect(stdout).toMatch(/^\[flaky\] \d{4}-\d\d-\d\dT[\d:.]+Z stdout attempt 3: looking for the data$/m);
    expect(stdout.match(/stderr no data today$/gm)).toHaveLength(3);
    expect(stdout).not.toContain('│ no data today');
    expect(stdout).toMatch(/⊘ report +upstream_failed/);
    expect(stdout.trimEnd().split('\n').at(-1)).toMatch(/^✘ run failed: 1 failed, 1 upstream_failed in /);
  });

  it('exits 2 naming params.<field> when a param is invalid', async () => {
    const { code, stderr } = await cli('run', 'examples/diamond', '--param', 'n=many');
    expect(code).toBe(2);
    expect(stderr).toContain("field 'params.n'");
  });

  it('validates the examples with exit 0 and a broken spec with exit 1 and file:line:col', async () => {
    const ok = await cli('validate', 'examples/hello', 'examples/diamond');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('ok: hello (3 tasks)\nok: diamond (4 tasks)\n');

    const dir = await mkdtemp(join(tmpdir(), 'tributary-cli-'));
    try {
      await writeFile(
        join(dir, 'dag.yaml'),
        'name: broken\ntasks:\n  a:\n    kind: shell\n    command: "true"\n    needs: [nope]\n',
      );
      const broken = await cli('validate', dir);
      expect(broken.code).toBe(1);
      expect(broken.stdout).toMatch(/dag\.yaml:6:\d+: task 'a', field '[^']+': /);
      expect(broken.stdout.trimEnd().split('\n').at(-1)).toBe('1 problem in 1 DAG');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 with usage on an unknown command', async () => {
    const { code, stderr } = await cli('frobnicate');
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command');
  });
});
