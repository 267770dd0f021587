/**
 * The secrets file of a worker (or of `tributary run`): what tasks may use but a DAG never holds.
 *
 * ```yaml
 * connections:          # sql tasks' connection URLs, by connection name
 *   warehouse: postgres://etl:pw@db:5432/warehouse
 * secrets:              # values of the secrets tasks name in `secrets: [...]`
 *   API_TOKEN: s3cr3t
 * ```
 */
import { readFileSync } from 'node:fs';
import { Code, TributaryError } from '@tributary/core';
import { CONNECTION_NAME_PATTERN, SECRET_NAME_PATTERN } from '@tributary/spec';
import { isMap, isScalar, parseDocument, type YAMLMap } from 'yaml';

/** What a secrets file holds, by name. */
export interface SecretsFileContents {
  connections: Map<string, string>;
  secrets: Map<string, string>;
}

/** One section of the file: its key, what its names must look like, and what a value is. */
interface Section {
  key: keyof SecretsFileContents;
  pattern: string;
  /** `connection name`, `secret name`. */
  nameLabel: string;
  nameRule: string;
  /** `a Postgres URL`, `the secret's value`. */
  valueLabel: string;
  /** `URLs`, `values`. */
  valuesLabel: string;
}

const SECTIONS: readonly Section[] = [
  {
    key: 'connections',
    pattern: CONNECTION_NAME_PATTERN,
    nameLabel: 'connection name',
    nameRule: 'use letters, digits and _, starting with a letter',
    valueLabel: 'a Postgres URL',
    valuesLabel: 'URLs',
  },
  {
    key: 'secrets',
    pattern: SECRET_NAME_PATTERN,
    nameLabel: 'secret name',
    nameRule: 'use upper-case letters, digits and _, as the DAG names it',
    valueLabel: "the secret's value",
    valuesLabel: 'values',
  },
];

const SHAPE = '`connections:` (connection names to URLs) and `secrets:` (secret names to values)';

/**
 * Reads a secrets file (YAML or JSON); both sections are optional.
 * @throws TributaryError `InvalidArgument` naming the file and the bad key, never a value: values are
 * credentials.
 */
export function readSecretsFile(path: string): SecretsFileContents {
  const fail = (problem: string, cause?: unknown): never => {
    const message = `secrets file '${path}' ${problem}`;
    throw new TributaryError(Code.InvalidArgument, message, { problems: [{ message }], cause });
  };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return fail(`cannot be read: ${(error as Error).message}`, error);
  }
  // JSON is YAML, so one parser reads both. Its messages quote the source after the first line, which
  // could show a password: keep only the first line (what is wrong, and where).
  const doc = parseDocument(text);
  const [syntax] = doc.errors;
  if (syntax !== undefined) {
    return fail(`is not valid YAML or JSON: ${syntax.message.split('\n')[0]?.replace(/:$/, '')}`);
  }
  const root = doc.contents;
  if (!isMap(root)) return fail(`must be a mapping with ${SHAPE}`);
  const contents: SecretsFileContents = { connections: new Map(), secrets: new Map() };
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const section = SECTIONS.find((candidate) => candidate.key === key);
    if (section === undefined) return fail(`has an unknown key '${key}' (it holds only ${SHAPE})`);
    if (!isMap(pair.value)) {
      return fail(`\`${key}\` must be a mapping of ${section.nameLabel}s to ${section.valuesLabel}`);
    }
    readSection(pair.value, section, contents[section.key], fail);
  }
  return contents;
}

function readSection(
  node: YAMLMap,
  section: Section,
  into: Map<string, string>,
  fail: (problem: string) => never,
): void {
  for (const entry of node.items) {
    const name = isScalar(entry.key) ? String(entry.key.value) : '';
    if (!new RegExp(section.pattern).test(name)) {
      fail(`has an invalid ${section.nameLabel} '${name}' (${section.nameRule})`);
    }
    // A number or a boolean would come back reformatted (`007` as 7): a value must be written as text.
    const value = isScalar(entry.value) ? entry.value.value : undefined;
    if (typeof value !== 'string' || value.trim() === '') {
      const hint = typeof value === 'number' || typeof value === 'boolean' ? ' (quote it)' : '';
      fail(`${section.key}.${name} must be a non-empty string (${section.valueLabel})${hint}`);
    }
    into.set(name, value as string);
  }
}
