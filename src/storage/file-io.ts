import * as fs from 'node:fs';

/**
 * Every file operation the storage layer performs, behind one interface, so that tests can
 * inject disk faults (ENOSPC, EIO, a failing fsync) without a special file system. The default
 * is node:fs. Writes and reads are positional; the storage layer never relies on a file cursor.
 */
export interface FileIO {
  open(path: string, flags: string): number;
  close(fd: number): void;
  /** Writes all of buffer[offset, offset+length) at `position`, or throws. */
  write(fd: number, buffer: Buffer, offset: number, length: number, position: number): void;
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): number;
  size(fd: number): number;
  truncate(fd: number, length: number): void;
  /** fdatasync on the libuv pool, so concurrent appends can share one sync (group commit). */
  datasync(fd: number): Promise<void>;
  datasyncSync(fd: number): void;
  /** fsync a directory so that a created, renamed or removed entry survives power loss. */
  syncDirectory(path: string): void;
  rename(from: string, to: string): void;
  unlink(path: string): void;
  exists(path: string): boolean;
  list(directory: string): string[];
  makeDirectory(path: string): void;
  readFile(path: string): Buffer;
  mtimeMs(path: string): number;
  /** Set a file's modification time (compaction keeps a segment's, as Kafka's cleaner does). */
  setMtimeMs(path: string, mtimeMs: number): void;
}

export const nodeFileIO: FileIO = {
  open: (path, flags) => fs.openSync(path, flags),
  close: (fd) => fs.closeSync(fd),
  write(fd, buffer, offset, length, position) {
    let written = 0;
    while (written < length) {
      written += fs.writeSync(fd, buffer, offset + written, length - written, position + written);
    }
  },
  read(fd, buffer, offset, length, position) {
    let total = 0;
    while (total < length) {
      const count = fs.readSync(fd, buffer, offset + total, length - total, position + total);
      if (count === 0) break;
      total += count;
    }
    return total;
  },
  size: (fd) => fs.fstatSync(fd).size,
  truncate: (fd, length) => fs.ftruncateSync(fd, length),
  datasync: (fd) =>
    new Promise<void>((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve()))),
  datasyncSync: (fd) => fs.fdatasyncSync(fd),
  syncDirectory(path) {
    const fd = fs.openSync(path, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
  rename: (from, to) => fs.renameSync(from, to),
  unlink: (path) => fs.rmSync(path, { force: true }),
  exists: (path) => fs.existsSync(path),
  list: (directory) => fs.readdirSync(directory),
  makeDirectory: (path) => void fs.mkdirSync(path, { recursive: true }),
  readFile: (path) => fs.readFileSync(path),
  mtimeMs: (path) => fs.statSync(path).mtimeMs,
  setMtimeMs: (path, mtimeMs) => fs.utimesSync(path, mtimeMs / 1000, mtimeMs / 1000),
};
