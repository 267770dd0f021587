import { readFileSync } from 'node:fs';

/** One instruction of a Dockerfile: its keyword (upper-cased) and the rest, continuation lines joined. */
export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** A build stage: what it starts from, its name, and its instructions. */
export interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

/** The stages of a Dockerfile, in order; comments and blank lines dropped, `\` continuations joined. */
export function readDockerfile(path: string): Stage[] {
  const stages: Stage[] = [];
  let pending = '';
  let startLine = 0;
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((raw, index) => {
      const line = raw.trim();
      if (pending === '' && (line === '' || line.startsWith('#'))) return;
      // A comment line inside a continued instruction is dropped, as Docker does.
      if (line.startsWith('#')) return;
      if (pending === '') startLine = index + 1;
      pending += `${line.replace(/\\$/, '').trim()} `;
      if (line.endsWith('\\')) return;
      const text = pending.trim();
      pending = '';
      const [keyword = '', ...rest] = text.split(/\s+/);
      const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' '), line: startLine };
      if (instruction.keyword === 'FROM') {
        const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
        if (match === null) throw new Error(`${path}:${startLine}: cannot read FROM ${instruction.args}`);
        stages.push({ from: match[1]!, name: match[2] ?? String(stages.length), instructions: [] });
      } else if (instruction.keyword !== 'ARG' || stages.length > 0) {
        const stage = stages.at(-1);
        if (stage === undefined)
          throw new Error(`${path}:${startLine}: ${instruction.keyword} before any FROM`);
        stage.instructions.push(instruction);
      }
    });
  return stages;
}

/** The stage named `name` and the stages it is built on, the stage itself first. */
export function stageChain(stages: readonly Stage[], name: string): Stage[] {
  const chain: Stage[] = [];
  let current = stages.find((stage) => stage.name === name);
  if (current === undefined) throw new Error(`the Dockerfile has no stage '${name}'`);
  while (current !== undefined) {
    chain.push(current);
    const parent: string = current.from;
    current = stages.find((stage) => stage.name === parent);
  }
  return chain;
}

/** The last value of `keyword` in effect for a target (its own first, then its parents'). */
export function effective(
  stages: readonly Stage[],
  target: string,
  keyword: string,
): Instruction | undefined {
  for (const stage of stageChain(stages, target)) {
    const found = stage.instructions.filter((instruction) => instruction.keyword === keyword).at(-1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Every `KEY=value` an instruction such as ENV or LABEL sets, quotes removed. */
export function keyValues(
  stages: readonly Stage[],
  target: string,
  keyword: 'ENV' | 'LABEL',
): Map<string, string> {
  const values = new Map<string, string>();
  for (const stage of stageChain(stages, target).reverse()) {
    for (const instruction of stage.instructions.filter((each) => each.keyword === keyword)) {
      for (const match of instruction.args.matchAll(/([\w.-]+)=("(?:[^"\\]|\\.)*"|\S+)/g)) {
        values.set(match[1]!, match[2]!.replace(/^"(.*)"$/, '$1'));
      }
    }
  }
  return values;
}

/** The JSON array of an exec-form instruction (`CMD ["worker", ...]`), after any options before it. */
export function execForm(instruction: Instruction): string[] {
  const start = instruction.args.indexOf('[');
  if (start === -1) throw new Error(`line ${instruction.line}: ${instruction.keyword} is not in exec form`);
  return JSON.parse(instruction.args.slice(start)) as string[];
}
