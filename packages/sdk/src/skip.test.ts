import { describe, expect, it } from 'vitest';
import { DEFAULT_SKIP_REASON, isSkipSignal, SkipTask } from './skip.js';

describe('SkipTask', () => {
  it('is an Error named SkipTask whose message is the reason', () => {
    const skip = new SkipTask('no rows today');
    expect(skip).toBeInstanceOf(Error);
    expect(skip.name).toBe('SkipTask');
    expect(skip.message).toBe('no rows today');
    expect(new SkipTask().message).toBe(DEFAULT_SKIP_REASON);
  });

  it('carries the shared Symbol.for mark, so another copy of the package recognises it', () => {
    expect((new SkipTask() as unknown as Record<symbol, unknown>)[Symbol.for('tributary.skip')]).toBe(true);
  });
});

describe('isSkipSignal', () => {
  it('recognises a SkipTask', () => {
    expect(isSkipSignal(new SkipTask('x'))).toBe(true);
  });

  it('recognises an object marked by another copy of the package, without instanceof', () => {
    const foreign = Object.assign(new Error('from elsewhere'), { [Symbol.for('tributary.skip')]: true });
    expect(isSkipSignal(foreign)).toBe(true);
  });

  it("recognises an author's own error class named SkipTask", () => {
    class MySkip extends Error {
      override name = 'SkipTask';
    }
    expect(isSkipSignal(new MySkip())).toBe(true);
  });

  it.each([
    ['an ordinary error', new Error('SkipTask')],
    ['a string', 'SkipTask'],
    ['null', null],
    ['undefined', undefined],
    ['a false mark', { [Symbol.for('tributary.skip')]: 'yes' }],
  ])('does not take %s for a skip', (_, value) => {
    expect(isSkipSignal(value)).toBe(false);
  });
});
