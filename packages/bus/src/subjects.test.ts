import { Code, TributaryError } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { createSubjects, createTopologyNames, subjectToken } from './subjects.js';

describe('createSubjects', () => {
  it('puts every subject under the prefix', () => {
    const subjects = createSubjects('trib');
    expect(subjects.task('gpu')).toBe('trib.task.gpu');
    expect(subjects.events).toBe('trib.event.batch');
    expect(subjects.heartbeat).toBe('trib.heartbeat');
    expect(subjects.cancel).toBe('trib.cancel');
  });

  it.each(['a.b', 'a*', '>', '', 'spa ce'])('rejects the pool name %j as InvalidArgument', (pool) => {
    const subjects = createSubjects('trib');
    expect(() => subjects.task(pool)).toThrow(TributaryError);
    try {
      subjects.task(pool);
    } catch (error) {
      expect((error as TributaryError).code).toBe(Code.InvalidArgument);
      expect((error as TributaryError).message).toContain('pool must match');
    }
  });

  it('rejects a prefix that would break subjects', () => {
    expect(() => createSubjects('a.b')).toThrow(/prefix must match/);
  });
});

describe('createTopologyNames', () => {
  it('upper-cases stream names and keeps the bucket and consumers as given', () => {
    const names = createTopologyNames('trib');
    expect(names.tasksStream).toBe('TRIB_TASKS');
    expect(names.eventsStream).toBe('TRIB_EVENTS');
    expect(names.tasksSubjects).toBe('trib.task.>');
    expect(names.eventsSubjects).toBe('trib.event.>');
    expect(names.bundlesBucket).toBe('trib-bundles');
    expect(names.outputsBucket).toBe('trib-outputs');
    expect(names.poolConsumer('default')).toBe('pool-default');
  });
});

describe('task log subjects', () => {
  it('names one subject per attempt under the prefix', () => {
    const subjects = createSubjects('trib');
    const ref = { runId: '6f1c7f4e-2a7b-4b8e-9a52-0c1d2e3f4a5b', taskId: 'extract', attempt: 2 };
    expect(subjects.taskLog(ref)).toBe('trib.log.6f1c7f4e-2a7b-4b8e-9a52-0c1d2e3f4a5b.extract.2');
    expect(createTopologyNames('trib')).toMatchObject({
      logsStream: 'TRIB_LOGS',
      logsSubjects: 'trib.log.>',
    });
  });

  it('escapes map instance ids into one valid token', () => {
    expect(subjectToken('load[3]')).toBe('load~5b3~5d');
    expect(createSubjects('trib').taskLog({ runId: 'r', taskId: 'load[3]', attempt: 1 })).toBe(
      'trib.log.r.load~5b3~5d.1',
    );
  });

  it.each(['a.b', 'a*', '>', 'spa ce', 'tab\t', 'é', '~'])(
    'never lets %j add, match or break a token',
    (id) => {
      expect(subjectToken(id)).toMatch(/^[A-Za-z0-9_~-]+$/);
    },
  );

  it('gives different ids different tokens, the escape character included', () => {
    const ids = ['a~2e', 'a.', 'a~', 'a', '', '~', 'a[1]', 'a[10]'];
    expect(new Set(ids.map(subjectToken)).size).toBe(ids.length);
  });
});
