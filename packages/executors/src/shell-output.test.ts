import { describe, expect, it } from 'vitest';
import { parseShellOutput } from './shell-output.js';

describe('parseShellOutput', () => {
  it('returns the JSON value of the line, or null when there is no line', () => {
    expect(parseShellOutput('{"rows": 3}', false)).toEqual({ rows: 3 });
    expect(parseShellOutput('"load"', false)).toBe('load');
    expect(parseShellOutput(undefined, false)).toBeNull();
    expect(parseShellOutput(undefined, true)).toBeNull();
  });

  it('outputs null for a line that is not JSON when the task is not a branch', () => {
    expect(parseShellOutput('load_eu', false)).toBeNull();
  });

  it.each([
    ['load_eu', 'load_eu'],
    ['  load_eu  ', 'load_eu'],
    ['load_eu,load_us', ['load_eu', 'load_us']],
    ['load_eu, load_us', ['load_eu', 'load_us']],
    ['load_eu load_us\tload-apac', ['load_eu', 'load_us', 'load-apac']],
    [',load_eu,,', 'load_eu'],
  ])('takes the bare ids %j of a branch task as %j', (line, expected) => {
    expect(parseShellOutput(line, true)).toEqual(expected);
  });

  it('still takes JSON from a branch task', () => {
    expect(parseShellOutput('"load_eu"', true)).toBe('load_eu');
    expect(parseShellOutput('["load_eu", "load_us"]', true)).toEqual(['load_eu', 'load_us']);
  });

  it('outputs null for a branch line holding only separators', () => {
    expect(parseShellOutput(' , ', true)).toBeNull();
  });
});
