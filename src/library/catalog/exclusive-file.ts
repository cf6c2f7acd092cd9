import Database from 'better-sqlite3';

/** An exclusive SQLite transaction held on its own file: see library/lock.ts for why. */
export interface ExclusiveFile {
  release(): void;
}

/**
 * Hold `path` exclusively (fcntl byte-range locks through SQLite) until release() or death of the
 * process. Throws the engine's error as is (code SQLITE_BUSY / SQLITE_LOCKED when held
 * elsewhere): the caller turns it into the library's words.
 */
export function holdExclusiveFile(path: string): ExclusiveFile {
  const db = new Database(path);
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (e) {
    db.close();
    throw e;
  }
  return {
    release() {
      try {
        db.exec('COMMIT');
      } finally {
        db.close();
      }
    },
  };
}
