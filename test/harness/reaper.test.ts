import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { within } from './child-process.js';

const REAPER = fileURLToPath(new URL('./reaper.mjs', import.meta.url));
const cleanups: Array<() => void> = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

function sleeper(): { pid: number; exit: ReturnType<typeof exited> } {
  const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
  cleanups.push(() => child.kill('SIGKILL'));
  return { pid: child.pid!, exit: exited(child) };
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-test-reaper-'));
  writeFileSync(join(dir, 'file'), 'x');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

it('kills listed processes and deletes listed dirs once its stdin closes (the test process died)', async () => {
  const [listed, forgotten] = [sleeper(), sleeper()];
  const [listedDir, forgottenDir] = [tempDir(), tempDir()];
  const reaper = spawn(process.execPath, [REAPER], { stdio: ['pipe', 'inherit', 'inherit'] });
  const reaperExit = exited(reaper);

  reaper.stdin.write(`+pid ${listed.pid}\n+pid ${forgotten.pid}\n-pid ${forgotten.pid}\n`);
  reaper.stdin.write(`+dir ${listedDir}\n+dir ${forgottenDir}\n-dir ${forgottenDir}\n`);
  reaper.stdin.end();

  expect(await reaperExit).toEqual({ code: 0, signal: null });
  expect(await within(listed.exit, 5000)).toEqual({ code: null, signal: 'SIGKILL' });
  expect(existsSync(listedDir)).toBe(false);
  expect(await within(forgotten.exit, 100)).toBeUndefined();
  expect(existsSync(forgottenDir)).toBe(true);
});
