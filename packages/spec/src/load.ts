import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Problem } from '@tributary/core';
import { type DagParseResult, parseDagSpec } from './parse.js';

/** The names a DAG folder's spec file may have, in the order they are looked for. */
export const SPEC_FILE_NAMES: readonly string[] = ['dag.yaml', 'dag.yml'];

/** A DAG folder, read and parsed. */
export interface LoadedDag extends DagParseResult {
  /** The DAG folder, absolute. */
  dir: string;
  /** The spec file, absolute. */
  specPath: string;
  /** Files of the folder, relative to it with `/` separators, sorted; without node_modules and dot folders. */
  files: string[];
}

const SKIPPED_DIRS = new Set(['node_modules']);

/** Lists the files below `dir`, relative to `root`, skipping dependency and dot folders. */
async function listFiles(root: string, dir = ''): Promise<string[]> {
  const entries: Dirent[] = await readdir(join(root, dir), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith('.'))
        files.push(...(await listFiles(root, path)));
    } else if (entry.isFile()) {
      files.push(path);
    } else if (entry.isSymbolicLink()) {
      // A link to a file is bundled as that file; links to folders are not followed (they can loop).
      const target = await stat(join(root, path)).catch(() => undefined);
      if (target?.isFile() === true) files.push(path);
    }
  }
  return files.sort();
}

function failed(dir: string, specPath: string, message: string): LoadedDag {
  const problem: Problem = { message };
  return { dir, specPath, files: [], problems: [problem] };
}

/** Finds the spec file of a folder; the problem message when there is none or more than one. */
async function findSpec(dir: string): Promise<{ name: string } | { message: string }> {
  const entries = await readdir(dir);
  const found = SPEC_FILE_NAMES.filter((name) => entries.includes(name));
  if (found.length === 1) return { name: found[0] as string };
  if (found.length === 0) return { message: `no ${SPEC_FILE_NAMES.join(' or ')} in ${dir}` };
  return { message: `both ${found.join(' and ')} in ${dir}; keep one` };
}

/**
 * Reads a DAG folder (or a spec file path, whose folder is the DAG folder), lists its files and
 * parses its spec. Problems (including a missing folder or spec file) are returned, not thrown.
 * Problems show the spec path as `path` was given (joined with the spec's name), as users typed it.
 */
export async function loadDagFolder(path: string): Promise<LoadedDag> {
  const absolute = resolve(path);
  const info = await stat(absolute).catch(() => undefined);
  if (info === undefined) return failed(absolute, absolute, `no such DAG folder or spec file: ${path}`);
  let dir = absolute;
  let specPath = absolute;
  let shownPath = path;
  if (info.isDirectory()) {
    const spec = await findSpec(absolute);
    if ('message' in spec) return failed(absolute, join(absolute, SPEC_FILE_NAMES[0] ?? ''), spec.message);
    specPath = join(absolute, spec.name);
    shownPath = join(path, spec.name);
  } else {
    dir = dirname(absolute);
  }
  try {
    const [text, files] = await Promise.all([readFile(specPath, 'utf8'), listFiles(dir)]);
    const result = parseDagSpec(text, { file: shownPath, files: new Set(files) });
    return { ...result, dir, specPath, files };
  } catch (error) {
    return failed(dir, specPath, `cannot read DAG ${basename(dir)} at ${path}: ${(error as Error).message}`);
  }
}
