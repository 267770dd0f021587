import { describe, expect, it } from 'vitest';
import { parseDagSpec } from './parse.js';

const withParams = (params: string) =>
  `name: x\nparams:\n${params}\ntasks:\n  a: { kind: shell, command: ls }\n`;
const problemsOf = (text: string) => parseDagSpec(text, { file: 'dag.yaml' }).problems;
const at = (line: number, column: number) => ({ file: 'dag.yaml', line, column });

describe('params checks', () => {
  it('reports an unknown JSON type at the type, with a suggestion', () => {
    expect(problemsOf(withParams('  date: { type: strin }'))).toEqual([
      {
        message:
          "invalid JSON Schema for param 'date': 'type' must be one of null, boolean, object, array, number, integer, string (got 'strin') (did you mean 'string'?)",
        position: at(3, 17),
        field: 'params.date',
      },
    ]);
  });

  it('reports a keyword value of the wrong type', () => {
    expect(problemsOf(withParams('  limit: { type: integer, minimum: "x" }'))).toEqual([
      {
        message: "invalid JSON Schema for param 'limit': 'minimum' must be a number (got 'x')",
        position: at(3, 36),
        field: 'params.limit',
      },
    ]);
  });

  it('reports an unknown keyword at its key, also inside nested schemas', () => {
    expect(
      problemsOf(withParams('  tags:\n    type: array\n    items: { type: string, maxLenght: 3 }')),
    ).toEqual([
      {
        message:
          "invalid JSON Schema for param 'tags': unknown keyword 'maxLenght' (did you mean 'maxLength'?) in 'items'",
        position: at(5, 28),
        field: 'params.tags',
      },
    ]);
  });

  it('reports unknown formats and invalid patterns', () => {
    const problems = problemsOf(
      withParams('  a: { type: string, format: dat }\n  b: { type: string, pattern: "(" }'),
    );
    expect(problems.map((problem) => [problem.field, problem.position?.line])).toEqual([
      ['params.a', 3],
      ['params.b', 4],
    ]);
    expect(problems[0]?.message).toContain("unknown format 'dat' (did you mean 'date'?)");
    expect(problems[1]?.message).toContain("'pattern' is not a valid regular expression");
  });

  it('reports a default that does not match its own schema at the default', () => {
    expect(problemsOf(withParams('  limit: { type: integer, default: 1.5 }'))).toEqual([
      {
        message: "the default of param 'limit' does not match its schema: must be integer",
        position: at(3, 36),
        field: 'params.limit',
      },
    ]);
  });

  it('reports a param that is not a schema mapping, and a bad param name', () => {
    expect(problemsOf(withParams('  date: string'))[0]?.message).toBe(
      "a param must be a JSON Schema mapping such as { type: string } (got 'string')",
    );
    expect(problemsOf(withParams('  my-date: { type: string }'))[0]?.message).toBe(
      "invalid param name 'my-date' (use letters, digits and _, not starting with a digit)",
    );
  });

  it('makes a param required unless it has a default', () => {
    const { model } = parseDagSpec(withParams('  a: { type: string }\n  b: { type: number, default: 1 }'), {
      file: 'dag.yaml',
    });
    expect(model?.paramsSchema.required).toEqual(['a']);
  });
});
