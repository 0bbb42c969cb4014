import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/db/client.js';
import { DatabaseInUseError, lockFolder } from '../../../src/db/folder-lock.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'relais-lock-'));
  dirs.push(dir);
  return join(dir, 'pglite');
}

/** A pid that no process has any more. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid as number;
}

describe('the lock of the embedded database folder', () => {
  it('refuses a second holder while the first holds it, and is free once released', () => {
    const dir = folder();
    const lock = lockFolder(dir);
    expect(JSON.parse(readFileSync(`${dir}.lock`, 'utf8')).pid).toBe(process.pid);
    expect(() => lockFolder(dir)).toThrow(DatabaseInUseError);
    lock.release();
    expect(existsSync(`${dir}.lock`)).toBe(false);
    lockFolder(dir).release();
  });

  it('names the live process that holds it', async () => {
    const dir = folder();
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      const pid = holder.pid as number;
      writeFileSync(`${dir}.lock`, JSON.stringify({ pid, token: 'other' }));
      expect(() => lockFolder(dir)).toThrow(
        `The embedded database ${dir} is in use by process ${pid}. Stop that process`,
      );
      // Refusing does not remove the holder's lock.
      expect(JSON.parse(readFileSync(`${dir}.lock`, 'utf8')).token).toBe('other');
    } finally {
      holder.kill();
    }
  });

  it('takes over the lock of a process that died without releasing it', () => {
    const dir = folder();
    writeFileSync(`${dir}.lock`, JSON.stringify({ pid: deadPid(), token: 'crashed' }));
    const lock = lockFolder(dir);
    expect(JSON.parse(readFileSync(`${dir}.lock`, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('does not take a reused pid for the holder (container restart, reboot)', () => {
    const linux = existsSync('/proc/self/stat');
    // Live pids, but the locks were written by earlier processes that had them: one
    // started at another time, one before a reboot.
    for (const earlier of [{ started: '1' }, { boot: 'another-boot' }]) {
      const dir = folder();
      writeFileSync(
        `${dir}.lock`,
        JSON.stringify({ pid: process.ppid, token: 'earlier', ...earlier }),
      );
      if (linux) lockFolder(dir).release();
      else expect(() => lockFolder(dir)).toThrow(DatabaseInUseError);
    }
  });

  it('leaves alone a lock that another process wrote after its own was broken', () => {
    const dir = folder();
    const lock = lockFolder(dir);
    writeFileSync(`${dir}.lock`, JSON.stringify({ pid: process.ppid, token: 'newer' }));
    lock.release();
    expect(JSON.parse(readFileSync(`${dir}.lock`, 'utf8')).token).toBe('newer');
  });

  it('is taken by openDatabase on a data folder and released by close', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'relais-lock-db-'));
    dirs.push(dataDir);
    const first = await openDatabase({ dataDir });
    await expect(openDatabase({ dataDir })).rejects.toThrow(
      `The embedded database ${join(dataDir, 'pglite')} is in use by process ${process.pid}`,
    );
    await first.close();
    expect(existsSync(join(dataDir, 'pglite.lock'))).toBe(false);
    const again = await openDatabase({ dataDir });
    await again.close();
  });
});
