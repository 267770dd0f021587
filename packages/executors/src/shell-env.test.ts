import { describe, expect, it } from 'vitest';
import { buildShellEnv, inputVariableName } from './shell-env.js';
import { shellRequest } from './test-fixtures/requests.js';

describe('inputVariableName', () => {
  it('upper-cases the id and replaces every non-alphanumeric character with _', () => {
    expect(inputVariableName('load-v2.eu')).toBe('TRIBUTARY_INPUT_LOAD_V2_EU');
  });
});

describe('buildShellEnv', () => {
  it('layers the base env, the task env and the TRIBUTARY_ variables, which a task cannot shadow', () => {
    const request = shellRequest(
      'true',
      {},
      { runId: 'r', attempt: 2, params: { a: 1 }, inputs: { up: [1] } },
    );
    const env = buildShellEnv({ PATH: '/bin', REGION: 'us', UNSET: undefined }, request, {
      REGION: 'eu',
      TRIBUTARY_RUN_ID: 'forged',
    });
    expect(env).toEqual({
      PATH: '/bin',
      REGION: 'eu',
      TRIBUTARY_RUN_ID: 'r',
      TRIBUTARY_TASK_ID: 'extract',
      TRIBUTARY_ATTEMPT: '2',
      TRIBUTARY_PARAMS: '{"a":1}',
      TRIBUTARY_INPUTS: '{"up":[1]}',
      TRIBUTARY_INPUT_UP: '[1]',
      TRIBUTARY_CONTEXT: '{}',
      TRIBUTARY_LOGICAL_DATE: '2026-01-02T03:04:05.000Z',
      TRIBUTARY_DATA_INTERVAL_START: '2026-01-02T03:04:05.000Z',
      TRIBUTARY_DATA_INTERVAL_END: '2026-01-03T03:04:05.000Z',
    });
  });

  it("keeps the worker's sql connection URLs out of shell tasks, unless the task sets one itself", () => {
    const base = { PATH: '/bin', TRIBUTARY_CONNECTION_WAREHOUSE: 'postgres://u:secret@db/w' };
    const env = buildShellEnv(base, shellRequest('true'), {});
    expect(env.TRIBUTARY_CONNECTION_WAREHOUSE).toBeUndefined();
    expect(env.PATH).toBe('/bin');
    const own = buildShellEnv(base, shellRequest('true'), { TRIBUTARY_CONNECTION_WAREHOUSE: 'mine' });
    expect(own.TRIBUTARY_CONNECTION_WAREHOUSE).toBe('mine');
  });

  it('puts the run context given to it in TRIBUTARY_CONTEXT as JSON', () => {
    const env = buildShellEnv({}, shellRequest('true'), { TRIBUTARY_CONTEXT: 'forged' }, { rows: 42 });
    expect(env.TRIBUTARY_CONTEXT).toBe('{"rows":42}');
  });

  it('names the input of a matrix instance with its brackets as _, and sets the matrix variables', () => {
    expect(inputVariableName('load[0]')).toBe('TRIBUTARY_INPUT_LOAD_0_');
    const request = shellRequest('true', { id: 'load[2]', matrix: { region: 'eu', n: 1 }, matrixIndex: 2 });
    const env = buildShellEnv({}, request, {});
    expect(env).toMatchObject({ TRIBUTARY_MATRIX: '{"region":"eu","n":1}', TRIBUTARY_MATRIX_INDEX: '2' });
    expect(buildShellEnv({}, shellRequest('true'), {})).not.toHaveProperty('TRIBUTARY_MATRIX');
  });

  it('sets TRACEPARENT only when the attempt is traced', () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(buildShellEnv({}, shellRequest('true', {}, { traceparent }), {}).TRACEPARENT).toBe(traceparent);
    expect(buildShellEnv({}, shellRequest('true'), {})).not.toHaveProperty('TRACEPARENT');
  });
});
