import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { groupExists, killGroup, signalGroup } from './process-group.js';
import { isProcessRunning } from './test-fixtures/process-state.js';

describe('process groups', () => {
  it('kills every process of a group and returns once none of them runs', async () => {
    const leader = spawn('/bin/sh', ['-c', 'sleep 100 & echo $!; sleep 100 & echo $!; wait'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let printed = '';
    leader.stdout.setEncoding('utf8').on('data', (chunk: string) => (printed += chunk));
    while (printed.split('\n').length < 3) await once(leader.stdout, 'data');
    const sleepers = printed.trim().split('\n').map(Number);
    const pgid = leader.pid!;
    expect(groupExists(pgid)).toBe(true);
    await killGroup(pgid);
    // Checked before anything else can run: killGroup itself waited for them.
    expect([pgid, ...sleepers].filter(isProcessRunning)).toEqual([]);
  });

  it('reports a group that no longer exists instead of throwing', async () => {
    const leader = spawn('/bin/sh', ['-c', 'exit 0'], { detached: true, stdio: 'ignore' });
    await once(leader, 'exit');
    expect(signalGroup(leader.pid!, 'SIGTERM')).toBe(false);
    await expect(killGroup(leader.pid!)).resolves.toBeUndefined();
  });
});
