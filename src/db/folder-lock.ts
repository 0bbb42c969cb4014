// An exclusive lock on the embedded database folder. PGlite does not stop a second
// process from opening the same folder, and when two do, one of them silently loses its
// writes. So whoever opens DATA_DIR/pglite first writes DATA_DIR/pglite.lock (created
// with O_EXCL semantics, so only one can), and every other process is refused while the
// process named in it lives.
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';

export class DatabaseInUseError extends Error {
  constructor(
    readonly folder: string,
    readonly pid: number,
  ) {
    super(
      `The embedded database ${folder} is in use by process ${pid}. Stop that process (Relais, or a command such as npm run db:seed), or set DATABASE_URL to share a PostgreSQL server between processes.`,
    );
    this.name = 'DatabaseInUseError';
  }
}

interface Holder {
  pid: number;
  token: string;
  /** Linux boot id and process start time, so that a pid reused after a reboot or a
   * container restart (Relais is often pid 1 there) is not taken for the holder. */
  boot?: string | undefined;
  started?: string | undefined;
}

export interface FolderLock {
  readonly path: string;
  release(): void;
}

// Folders this process holds: a second open from the same process is refused too.
const heldHere = new Set<string>();

/** Takes the lock of `folder` (the file `${folder}.lock`), or throws DatabaseInUseError. */
export function lockFolder(folder: string): FolderLock {
  const path = `${folder}.lock`;
  if (heldHere.has(path)) throw new DatabaseInUseError(folder, process.pid);
  const me: Holder = {
    pid: process.pid,
    token: randomBytes(8).toString('hex'),
    boot: bootId(),
    started: startTime(process.pid),
  };
  const content = `${JSON.stringify(me)}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (create(path, content)) {
      heldHere.add(path);
      return {
        path,
        release() {
          if (!heldHere.delete(path)) return;
          // Only our own lock: never a file another process wrote after ours was broken.
          if (read(path) === content) unlinkSafe(path);
        },
      };
    }
    const current = read(path);
    if (current === undefined) continue; // released meanwhile: try again
    const holder = parse(current);
    if (holder && holderLives(holder)) throw new DatabaseInUseError(folder, holder.pid);
    breakStale(path, current);
  }
  throw new Error(`could not take the lock ${path}: it keeps changing; try again`);
}

/** Creates `path` with `content` if it does not exist, atomically (no half-written lock). */
function create(path: string, content: string): boolean {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(temp, content, { mode: 0o600 });
  try {
    linkSync(temp, path); // fails with EEXIST when someone holds it
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSafe(temp);
  }
}

// Two processes can find the same stale lock. Each moves it aside and checks that what
// it moved is the stale lock it judged; if another process had already replaced it with
// a fresh lock, that one is put back and the next attempt finds its holder alive.
function breakStale(path: string, stale: string): void {
  const aside = `${path}.${process.pid}.stale`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (read(aside) !== stale) {
    try {
      linkSync(aside, path);
    } catch {
      // A third process took the folder meanwhile; its lock stands.
    }
  }
  unlinkSafe(aside);
}

function holderLives(holder: Holder): boolean {
  if (holder.pid === process.pid) return false; // our pid, but not held here: a past life
  const boot = bootId();
  if (holder.boot && boot && holder.boot !== boot) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const started = startTime(holder.pid);
  return !(holder.started && started && holder.started !== started);
}

function parse(content: string): Holder | undefined {
  try {
    const value = JSON.parse(content) as Partial<Holder>;
    if (Number.isInteger(value.pid) && typeof value.token === 'string') return value as Holder;
  } catch {
    // Not a lock we wrote: treated as stale.
  }
  return undefined;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function unlinkSafe(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined; // not Linux
  }
}

/** Start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat). */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count after the last ")".
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
