import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { JsonValue } from '@tributary/core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createExecutor } from './executor.js';
import {
  quoteEnvValue,
  quoteShellWord,
  renderShellCommand,
  renderSqlTemplate,
  renderTaskTemplates,
  renderTemplate,
  TemplateError,
  type TemplateScope,
  templateScope,
} from './render-templates.js';
import { assertBuilt } from './test-fixtures/ensure-built.js';
import { nodeRequest, shellRequest } from './test-fixtures/requests.js';
import type { TaskExecutor } from './types.js';

const scope: TemplateScope = {
  params: { day: '2026-01-02', limit: 10, dry: false, none: null, tags: ['a', 'b c'] },
  inputs: { extract: { files: [{ path: 'out/a.csv' }], count: 2 } },
  run: { id: 'run-7', logical_date: '2026-01-02T00:00:00.000Z' },
  task: { id: 'load' },
  attempt: 2,
};

let tempDir: string | undefined;
const makeTempDir = () => {
  tempDir = mkdtempSync(join(tmpdir(), 'tributary-templates-'));
  return tempDir;
};

afterEach(() => {
  if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
  tempDir = undefined;
});

/** What `fn` throws; fails the test when it returns. */
function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** Runs `command` with the real /bin/sh and returns the NUL-separated words it printed. */
async function shellWords(command: string, cwd: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('/bin/sh', ['-c', command], { cwd });
  return stdout.split('\0').slice(0, -1);
}

describe('templateScope', () => {
  it('exposes params, inputs, run id, logical date and data interval in ISO 8601 UTC, task id and attempt', () => {
    const request = shellRequest('true', {}, { params: { a: 1 }, inputs: { up: [1] }, attempt: 3 });
    expect(templateScope(request)).toEqual({
      params: { a: 1 },
      inputs: { up: [1] },
      run: {
        id: 'run-1',
        logical_date: '2026-01-02T03:04:05.000Z',
        data_interval_start: '2026-01-02T03:04:05.000Z',
        data_interval_end: '2026-01-03T03:04:05.000Z',
      },
      task: { id: 'extract' },
      attempt: 3,
      matrix: {},
    });
  });

  it("exposes a matrix instance's values as matrix", () => {
    const request = shellRequest('true', { id: 'load[1]', matrix: { region: 'eu', n: 2 }, matrixIndex: 1 });
    expect(templateScope(request).matrix).toEqual({ region: 'eu', n: 2 });
  });
});

describe('renderTemplate', () => {
  it('splices strings raw and other values as JSON for env values', () => {
    const text =
      '{{ params.day }}|{{params.limit}}|{{ params.dry }}|{{ params.none }}|{{ params.tags }}|{{ inputs.extract.files[0] }}|{{ attempt }}';
    expect(renderTemplate(text, scope, quoteEnvValue)).toBe(
      '2026-01-02|10|false|null|["a","b c"]|{"path":"out/a.csv"}|2',
    );
  });

  it('follows index segments and turns \\{{ into {{', () => {
    expect(renderTemplate('\\{{ x }} {{ inputs.extract.files[0].path }}', scope, quoteEnvValue)).toBe(
      '{{ x }} out/a.csv',
    );
  });

  it('says which step of a path has no value', () => {
    const cases: [string, string][] = [
      ['{{ inputs.extract.files[1].path }}', 'inputs.extract.files is a list of 1 and has no index 1'],
      ['{{ inputs.extract.rows }}', "inputs.extract has no field 'rows'"],
      ['{{ inputs.missing.x }}', "there is no output of task 'missing' (is it in needs?)"],
      ['{{ params.day.year }}', "params.day is a string and has no field 'year'"],
      ['{{ params.tags.length }}', "params.tags is a list of 2 and has no field 'length'"],
      ['{{ params.constructor }}', "params has no field 'constructor'"],
      ['{{ params.undeclared }}', "params has no field 'undeclared'"],
      ['{{ env.HOME }}', "'env' is not a template name"],
    ];
    for (const [template, why] of cases) {
      const error = errorOf(() => renderTemplate(template, scope, quoteEnvValue));
      expect(error).toBeInstanceOf(TemplateError);
      expect(error).toMatchObject({ message: `${template} has no value: ${why}`, template });
    }
  });

  it('throws a TemplateError for a malformed template', () => {
    expect(() => renderTemplate('{{ params.day', scope, quoteEnvValue)).toThrow(TemplateError);
    expect(() => renderTemplate('{{ params.day | upper }}', scope, quoteEnvValue)).toThrow(
      /filters and expressions are not supported/,
    );
  });

  it('refuses a value holding a NUL character, which no environment variable or command can hold', () => {
    const nul = { ...scope, params: { x: 'a\0b' } };
    expect(() => renderTemplate('{{ params.x }}', nul, quoteEnvValue)).toThrow(/NUL character/);
    expect(() => renderShellCommand('echo {{ params.x }}', nul)).toThrow(/NUL character/);
  });
});

describe('quoteShellWord through a real /bin/sh', () => {
  // Shaped like `'; rm -rf / #`, but each payload only creates a file: if quoting ever breaks, this test
  // fails by finding the file instead of deleting anything.
  const hostile = [
    "'; touch pwned-quote #",
    "it's",
    'two\nlines; touch pwned-newline',
    '$(touch pwned-subst)',
    '`touch pwned-backtick`',
    '"; touch pwned-dquote; echo "',
    "'\\''; touch pwned-escape; '",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion that must arrive unexpanded
    '$HOME ${PATH} * ? ~ [a] {a,b}',
    '',
    '   ',
    '\\',
    '{{ params.p0 }}',
  ];

  it('delivers hostile strings as single literal words and runs none of their commands', async () => {
    const dir = makeTempDir();
    const params = Object.fromEntries(hostile.map((value, index) => [`p${index}`, value]));
    const names = hostile.map((_, index) => `{{ params.p${index} }}`).join(' ');
    const command = renderShellCommand(`printf '%s\\0' ${names}`, { ...scope, params });
    expect(await shellWords(command, dir)).toEqual(hostile);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('delivers numbers, booleans, null, lists and objects as one word of their JSON text', async () => {
    const values: JsonValue[] = [42, -1.5, true, null, ['a', "b'c"], { k: 'v w', n: [1] }];
    const params = Object.fromEntries(values.map((value, index) => [`p${index}`, value]));
    const names = values.map((_, index) => `{{ params.p${index} }}`).join(' ');
    const command = renderShellCommand(`printf '%s\\0' ${names}`, { ...scope, params });
    expect(await shellWords(command, makeTempDir())).toEqual([
      '42',
      '-1.5',
      'true',
      'null',
      '["a","b\'c"]',
      '{"k":"v w","n":[1]}',
    ]);
  });

  it('keeps a template that is part of a word part of that word', async () => {
    const params = { day: '2026 01 02' };
    const command = renderShellCommand(`printf '%s\\0' --day={{ params.day }}.csv`, { ...scope, params });
    expect(await shellWords(command, makeTempDir())).toEqual(['--day=2026 01 02.csv']);
  });

  it('quotes each kind of value as documented', () => {
    expect(quoteShellWord("it's")).toBe("'it'\\''s'");
    expect(quoteShellWord(7)).toBe("'7'");
    expect(quoteShellWord(null)).toBe("'null'");
    expect(quoteShellWord({ a: 1 })).toBe('\'{"a":1}\'');
  });

  it('refuses a template inside quotes, where the value would escape its quoting', () => {
    const params = { x: '$(touch pwned)' };
    const error = errorOf(() => renderShellCommand('echo "{{ params.x }}"', { ...scope, params }));
    expect(error).toBeInstanceOf(TemplateError);
    expect(error).toMatchObject({
      message:
        'template {{ params.x }} is inside double quotes: a template already becomes one quoted shell word, ' +
        'so write it outside the quotes (e.g. --day={{ params.date }} or "prefix-"{{ params.date }})',
      template: '{{ params.x }}',
    });
    expect(() => renderShellCommand("echo '{{ params.x }}'", { ...scope, params })).toThrow(
      /inside single quotes/,
    );
  });
});

describe('renderSqlTemplate', () => {
  it('replaces templates with numbered bind parameters, reusing one for the same name', () => {
    const sql = renderSqlTemplate(
      'SELECT * FROM t WHERE day = {{ params.day }} AND n < {{params.limit}} OR day = {{ params.day }} -- }}',
      scope,
    );
    expect(sql).toEqual({
      text: 'SELECT * FROM t WHERE day = $1 AND n < $2 OR day = $1 -- }}',
      values: ['2026-01-02', 10],
    });
  });

  it('never splices a value into the statement, whatever it holds', () => {
    const params = { x: "'; DROP TABLE t; --", tags: ['a', 'b'] };
    expect(renderSqlTemplate('SELECT {{ params.x }}, {{ params.tags }}', { ...scope, params })).toEqual({
      text: 'SELECT $1, $2',
      values: ["'; DROP TABLE t; --", ['a', 'b']],
    });
  });

  it('returns a statement without templates as it is', () => {
    expect(renderSqlTemplate("SELECT '$1'", scope)).toEqual({ text: "SELECT '$1'", values: [] });
  });

  it('refuses a template inside a string literal, where a parameter would be plain text', () => {
    expect(() => renderSqlTemplate("SELECT '{{ params.day }}'", scope)).toThrow(
      /template \{\{ params.day \}\} is inside a string literal/,
    );
  });

  it('fails on a name without a value', () => {
    expect(() => renderSqlTemplate('SELECT {{ inputs.extract.nope }}', scope)).toThrow(
      "inputs.extract has no field 'nope'",
    );
  });
});

describe('renderTaskTemplates', () => {
  it('renders a shell command as words and env values raw', () => {
    const request = shellRequest(
      'echo {{ params.name }} {{ task.id }}',
      { env: { WHO: '{{ params.name }}', N: '{{ attempt }}' } },
      { params: { name: "o'brien" }, attempt: 2 },
    );
    const task = renderTaskTemplates(request);
    expect(task).toMatchObject({
      command: "echo 'o'\\''brien' 'extract'",
      env: { WHO: "o'brien", N: '2' },
    });
    expect(request.task).toMatchObject({ command: 'echo {{ params.name }} {{ task.id }}' });
  });

  it('renders matrix values as single quoted words in a command and raw in env values', () => {
    const request = shellRequest(
      './load.sh {{ matrix.region }} {{ matrix.size }} {{ matrix.dry }}',
      {
        id: 'load[3]',
        env: { LABEL: '{{ matrix.region }}-{{ matrix.size }}' },
        matrix: { region: "eu west's; rm -rf /", size: 10, dry: false },
        matrixIndex: 3,
      },
      { taskId: 'load[3]' },
    );
    expect(renderTaskTemplates(request)).toMatchObject({
      command: "./load.sh 'eu west'\\''s; rm -rf /' '10' 'false'",
      env: { LABEL: "eu west's; rm -rf /-10" },
    });
  });

  it('says which matrix key has no value', () => {
    const request = shellRequest('echo {{ matrix.zone }}', { matrix: { region: 'eu' } });
    expect(() => renderTaskTemplates(request)).toThrow(
      "task 'extract', field 'command': {{ matrix.zone }} has no value: matrix has no field 'zone'",
    );
  });

  it('names the task, the field and the path in its error', () => {
    const request = nodeRequest({ env: { FILE: '{{ inputs.extract.files[3] }}' } });
    expect(() => renderTaskTemplates(request)).toThrow(
      "task 'transform', field 'env.FILE': {{ inputs.extract.files[3] }} has no value: there is no output of task 'extract' (is it in needs?)",
    );
  });
});

describe('createExecutor with templates', () => {
  let executor: TaskExecutor | undefined;

  beforeAll(() => assertBuilt());

  afterEach(async () => {
    await executor?.close();
    executor = undefined;
  });

  it('runs a shell task with its templated param', async () => {
    executor = createExecutor();
    const request = shellRequest(
      'echo "greeting:" {{ params.who }}; printf \'{"who":"%s"}\\n\' {{ params.who }}',
      {},
      { params: { who: 'the $(world)' } },
    );
    const result = await executor.execute(request);
    expect(result.outcome).toBe('succeeded');
    expect(result.logTail).toContain('greeting: the $(world)');
    expect(result.output).toEqual({ who: 'the $(world)' });
  });

  it('gives a shell matrix instance its values as words and as TRIBUTARY_MATRIX', async () => {
    executor = createExecutor();
    const request = shellRequest(
      'printf \'%s|\' {{ matrix.region }} {{ matrix.n }}; echo; echo "$TRIBUTARY_MATRIX_INDEX $TRIBUTARY_MATRIX"',
      { id: 'load[1]', matrix: { region: 'us $(east)', n: 2 }, matrixIndex: 1 },
      { taskId: 'load[1]' },
    );
    const result = await executor.execute(request);
    expect(result.outcome).toBe('succeeded');
    expect(result.logTail).toEqual(['us $(east)|2|', '1 {"region":"us $(east)","n":2}']);
  });

  it('gives a node matrix instance ctx.matrix and ctx.matrixIndex, and other tasks an empty matrix', async () => {
    executor = createExecutor({ maxThreads: 1 });
    const instance = nodeRequest({
      id: 'score[1]',
      export: 'describeMatrix',
      matrix: { w: 10 },
      matrixIndex: 1,
    });
    expect((await executor.execute(instance)).output).toEqual({ matrix: { w: 10 }, matrixIndex: 1 });
    const plain = nodeRequest({ export: 'describeMatrix' });
    expect((await executor.execute(plain)).output).toEqual({ matrix: {}, matrixIndex: null });
  });

  it('gives a node task its rendered env', async () => {
    executor = createExecutor({ maxThreads: 1 });
    const request = nodeRequest(
      { export: 'describeContext', env: { DAY: '{{ run.logical_date }}', LIMIT: '{{ params.limit }}' } },
      { params: { limit: 5 } },
    );
    const result = await executor.execute(request);
    expect(result.outcome).toBe('succeeded');
    expect(result.output).toMatchObject({ env: { DAY: '2026-01-02T03:04:05.000Z', LIMIT: '5' } });
  });

  it('fails the attempt with a TemplateError for a missing input path, without starting the process', async () => {
    executor = createExecutor();
    const dir = makeTempDir();
    const request = shellRequest(
      'touch started; echo {{ inputs.extract.rows[0] }}',
      { id: 'load' },
      { taskId: 'load', bundleDir: dir, inputs: { extract: { rows: [] } } },
    );
    const result = await executor.execute(request);
    expect(result).toMatchObject({ outcome: 'failed', logTail: [] });
    expect(result.error).toEqual({
      type: 'TemplateError',
      message:
        "task 'load', field 'command': {{ inputs.extract.rows[0] }} has no value: inputs.extract.rows is a list of 0 and has no index 0",
      retryable: false,
      details: { field: 'command', template: '{{ inputs.extract.rows[0] }}' },
    });
    expect(existsSync(join(dir, 'started'))).toBe(false);
  });
});
