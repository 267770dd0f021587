// Runs the CLI in this process, as tests do, capturing what it prints.
import { type ProcessIo, runCli } from './program.js';

/** What one in-process CLI invocation returned and printed. */
export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Runs `tributary <args>` in this process with an empty environment and no colour. */
export async function runCliInProcess(args: readonly string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  const io: ProcessIo = {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    color: false,
    interrupt: () => new AbortController().signal,
  };
  const code = await runCli([...args], io, {});
  return { code, out, err };
}
