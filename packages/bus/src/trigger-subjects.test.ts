import { natsSubjectProblem } from '@tributary/spec';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  minimalSubjects,
  subjectCovers,
  subjectMatches,
  subjectsCollide,
  triggerSubjectProblem,
} from './trigger-subjects.js';

// Few distinct tokens, so that generated subjects share prefixes and overlap often.
const literal = fc.constantFrom('a', 'b', 'c');
const concreteSubject = fc.array(literal, { minLength: 1, maxLength: 4 }).map((tokens) => tokens.join('.'));
const patternSubject = fc
  .tuple(fc.array(fc.constantFrom('a', 'b', 'c', '*'), { minLength: 1, maxLength: 4 }), fc.boolean())
  .map(([tokens, tail]) => (tail ? [...tokens, '>'] : tokens).join('.'));

// The syntax rule is the spec's (`on.subject`); the bus applies the same one before NATS sees a subject.
describe('natsSubjectProblem, as the trigger stream uses it', () => {
  it.each(['orders', 'orders.created', 'orders.*.eu', 'orders.>', '>', '*', 'a-b_c.d'])(
    'accepts %s',
    (subject) => {
      expect(natsSubjectProblem(subject)).toBeUndefined();
    },
  );

  it.each(['', 'orders.', '.orders', 'a..b', 'or ders', 'orders.cre*', 'orders.>.eu', 'a.b>', '$JS.API.>'])(
    'refuses %j',
    (subject) => {
      expect(natsSubjectProblem(subject)).toBeDefined();
    },
  );
});

describe('subjectMatches', () => {
  it('matches literal tokens, `*` as one token and `>` as one or more', () => {
    expect(subjectMatches('orders.created', 'orders.created')).toBe(true);
    expect(subjectMatches('orders.*.eu', 'orders.created.eu')).toBe(true);
    expect(subjectMatches('orders.*.eu', 'orders.created.us')).toBe(false);
    expect(subjectMatches('orders.*', 'orders.created.eu')).toBe(false);
    expect(subjectMatches('orders.>', 'orders.created.eu')).toBe(true);
    expect(subjectMatches('orders.>', 'orders')).toBe(false);
    expect(subjectMatches('>', 'anything.at.all')).toBe(true);
    expect(subjectMatches('orders.created', 'orders.created.eu')).toBe(false);
  });
});

describe('subjectCovers', () => {
  it('says a wider pattern covers a narrower one, never the reverse', () => {
    expect(subjectCovers('orders.>', 'orders.*.eu')).toBe(true);
    expect(subjectCovers('orders.*.eu', 'orders.>')).toBe(false);
    expect(subjectCovers('orders.*', 'orders.>')).toBe(false);
    expect(subjectCovers('orders.*', 'orders.*')).toBe(true);
    expect(subjectCovers('*.created', 'orders.*')).toBe(false);
  });

  it('agrees with matching: a subject the covered pattern matches is matched by the covering one', () => {
    fc.assert(
      fc.property(patternSubject, patternSubject, concreteSubject, (a, b, subject) => {
        if (subjectCovers(a, b) && subjectMatches(b, subject)) expect(subjectMatches(a, subject)).toBe(true);
      }),
    );
  });
});

describe('subjectsCollide', () => {
  it('says whether some subject matches both', () => {
    expect(subjectsCollide('orders.*.eu', 'orders.created.*')).toBe(true);
    expect(subjectsCollide('orders.>', 'orders')).toBe(false);
    expect(subjectsCollide('orders.*', 'orders.created.eu')).toBe(false);
    expect(subjectsCollide('a.*.>', 'a.b')).toBe(false);
    expect(subjectsCollide('a.>', '*.b')).toBe(true);
  });

  it('is true exactly when a concrete subject matching both exists', () => {
    fc.assert(
      fc.property(patternSubject, patternSubject, concreteSubject, (a, b, subject) => {
        if (subjectMatches(a, subject) && subjectMatches(b, subject))
          expect(subjectsCollide(a, b)).toBe(true);
        if (!subjectsCollide(a, b))
          expect(subjectMatches(a, subject) && subjectMatches(b, subject)).toBe(false);
      }),
    );
  });
});

describe('minimalSubjects', () => {
  it('leaves out a subject another one covers, and duplicates', () => {
    expect(
      minimalSubjects(['orders.created', 'orders.>', 'payments.done', 'orders.*.eu', 'payments.done']),
    ).toEqual(['orders.>', 'payments.done']);
  });

  it('keeps subjects that do not overlap as they are, sorted', () => {
    expect(minimalSubjects(['b.x', 'a.*', 'a.x.y'])).toEqual(['a.*', 'a.x.y', 'b.x']);
  });

  it('replaces two subjects that only partly overlap with the narrowest one covering both', () => {
    expect(minimalSubjects(['orders.*.eu', 'orders.created.*'])).toEqual(['orders.*.*']);
    expect(minimalSubjects(['a.>', '*.b'])).toEqual(['*.>']);
  });

  it('is empty for no subjects', () => {
    expect(minimalSubjects([])).toEqual([]);
  });

  it('gives subjects no two of which overlap and that take every message any input takes', () => {
    fc.assert(
      fc.property(fc.array(patternSubject, { maxLength: 8 }), concreteSubject, (subjects, subject) => {
        const minimal = minimalSubjects(subjects);
        for (const [i, a] of minimal.entries()) {
          for (const b of minimal.slice(i + 1)) expect(subjectsCollide(a, b)).toBe(false);
        }
        for (const input of subjects) expect(minimal.some((m) => subjectCovers(m, input))).toBe(true);
        if (subjects.some((input) => subjectMatches(input, subject))) {
          expect(minimal.filter((m) => subjectMatches(m, subject))).toHaveLength(1);
        }
      }),
    );
  });

  it('changes nothing but order and duplicates when no two inputs overlap', () => {
    fc.assert(
      fc.property(fc.array(patternSubject, { maxLength: 6 }), (subjects) => {
        const unique = [...new Set(subjects)];
        const disjoint = unique.every((a, i) => unique.slice(i + 1).every((b) => !subjectsCollide(a, b)));
        if (disjoint) expect(minimalSubjects(subjects)).toEqual(unique.sort());
      }),
    );
  });
});

describe('triggerSubjectProblem', () => {
  it("refuses subjects that overlap Tributary's own, naming them", () => {
    for (const subject of ['trib.task.default', 'trib.>', '*.event.batch', '>', 'trib.*']) {
      expect(triggerSubjectProblem('trib', subject)).toMatch(/overlaps Tributary's own subjects trib\.>/);
    }
  });

  it('accepts subjects outside the prefix, even ones starting with it', () => {
    expect(triggerSubjectProblem('trib', 'orders.>')).toBeUndefined();
    expect(triggerSubjectProblem('trib', 'tributary.orders')).toBeUndefined();
    expect(triggerSubjectProblem('trib', 'trib')).toBeUndefined();
  });

  it('refuses an invalid subject', () => {
    expect(triggerSubjectProblem('trib', 'orders..created')).toMatch(
      /invalid NATS subject 'orders..created'/,
    );
  });
});
