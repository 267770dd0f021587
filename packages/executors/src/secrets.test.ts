import { createHash } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createExecutor } from './executor.js';
import { createSecretResolver } from './secrets.js';
import { assertBuilt } from './test-fixtures/ensure-built.js';
import { nodeRequest, shellRequest } from './test-fixtures/requests.js';
import type { ExecutorOptions, LogLine, TaskExecutor } from './types.js';

const TOKEN = 'tok-3f9a1c7e55d2';
/** The worker's environment: its own copy of the secret must not reach tasks by that name. */
const WORKER_ENV = {
  PATH: process.env.PATH,
  TRIBUTARY_SECRET_API_TOKEN: TOKEN,
  TRIBUTARY_SECRET_OTHER: 'x1y2z3w4',
};

let executor: TaskExecutor | undefined;

beforeAll(() => assertBuilt());

afterEach(async () => {
  await executor?.close();
  executor = undefined;
});

function open(options: ExecutorOptions = {}): TaskExecutor {
  executor = createExecutor({
    maxThreads: 1,
    killGraceMs: 200,
    baseEnv: WORKER_ENV,
    secrets: createSecretResolver({ env: WORKER_ENV }),
    ...options,
  });
  return executor;
}

/** Every log line of the attempt, as `onLog` saw it. */
function collector(): { lines: LogLine[]; onLog: (line: LogLine) => void } {
  const lines: LogLine[] = [];
  return { lines, onLog: (line) => lines.push(line) };
}

describe('secrets a task names', () => {
  it('reach a shell task as variables of their names, masked in every log line and the tail', async () => {
    const { lines, onLog } = collector();
    const command = [
      'echo "token=$API_TOKEN"',
      'echo "$API_TOKEN" >&2',
      'echo "worker variables: $(env | grep -c "^TRIBUTARY_SECRET_")"',
      'printf %s "$API_TOKEN" | wc -c',
    ].join('; ');
    const result = await open().execute(shellRequest(command, { secrets: ['API_TOKEN'] }), { onLog });
    expect(result.outcome).toBe('succeeded');
    expect(result.output).toBe(TOKEN.length);
    // stdout and stderr are two pipes: lines keep their order within a stream, not across them.
    const of = (stream: string) => lines.filter((line) => line.stream === stream).map((line) => line.line);
    expect(of('stdout')).toEqual(['token=***', 'worker variables: 0', `${TOKEN.length}`]);
    expect(of('stderr')).toEqual(['***']);
    expect([...result.logTail].sort()).toEqual(
      ['***', `${TOKEN.length}`, 'token=***', 'worker variables: 0'].sort(),
    );
  });

  it('reach a node task as ctx.secrets, masked in ctx.log and console lines', async () => {
    const { lines, onLog } = collector();
    const request = nodeRequest({ export: 'printsSecret', secrets: ['API_TOKEN'] });
    const result = await open().execute(request, { onLog });
    expect(result.error).toBeUndefined();
    expect(result.output).toEqual({
      length: TOKEN.length,
      sha256: createHash('sha256').update(TOKEN).digest('hex'),
      names: ['API_TOKEN'],
      workerVariables: [],
    });
    expect(lines.map(({ stream, line }) => `${stream}: ${line}`)).toEqual([
      'log: token=***',
      'stdout: console ***!',
      'stderr: ***',
    ]);
    expect(JSON.stringify(result.logTail)).not.toContain(TOKEN);
  });

  it("masks a secret in the attempt's error, stack included", async () => {
    const request = nodeRequest({ export: 'throwsSecret', secrets: ['API_TOKEN'] });
    const result = await open().execute(request);
    expect(result.outcome).toBe('failed');
    expect(result.error?.message).toBe('request refused for token ***');
    expect(result.error?.stack).toContain('request refused for token ***');
    expect(JSON.stringify(result)).not.toContain(TOKEN);
  });

  it('fails the attempt without running it, and without retries, when a secret is not configured', async () => {
    const { lines, onLog } = collector();
    const request = shellRequest('echo ran', {
      id: 'fetch',
      secrets: ['API_TOKEN', 'DB_PASSWORD', 'SMTP_KEY'],
    });
    const result = await open().execute({ ...request, taskId: 'fetch' }, { onLog });
    expect(result.outcome).toBe('failed');
    expect(result.error).toMatchObject({
      type: 'SecretNotConfigured',
      retryable: false,
      details: { secrets: ['DB_PASSWORD', 'SMTP_KEY'] },
    });
    expect(result.error?.message).toBe(
      "task 'fetch' names secrets 'DB_PASSWORD', 'SMTP_KEY', which are not configured here: set " +
        'TRIBUTARY_SECRET_DB_PASSWORD, TRIBUTARY_SECRET_SMTP_KEY where the task runs, or add them under ' +
        '`secrets:` in the secrets file (--secrets-file or TRIBUTARY_SECRETS_FILE)',
    );
    expect(lines).toEqual([]);
  });

  it('gives a task only the secrets it names, and its env cannot override one', async () => {
    const command = 'echo "token $API_TOKEN, other [$OTHER]"; printf \'"%s"\\n\' "$API_TOKEN"';
    const request = shellRequest(command, { env: { API_TOKEN: 'from-env' }, secrets: ['API_TOKEN'] });
    const result = await open().execute(request);
    // The output is the task's data, not a log line: it is not masked.
    expect(result.output).toBe(TOKEN);
    expect(result.logTail[0]).toBe('token ***, other []');
  });
});
