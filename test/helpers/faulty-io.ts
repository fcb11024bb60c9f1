import { nodeFileIO, type FileIO } from '../../src/storage/file-io.js';

/**
 * A FileIO over the real file system that can be told to fail: the next N writes with ENOSPC or
 * EIO (optionally after writing part of the bytes, as a full disk does), or the next fdatasync
 * with EIO. It also counts syncs, so tests can see group commit at work.
 */
export class FaultyIO implements FileIO {
  writeFailures = 0;
  writeErrorCode: 'ENOSPC' | 'EIO' = 'ENOSPC';
  /** Bytes to write before failing, to leave a torn write behind. */
  partialWriteBytes = 0;
  datasyncFailures = 0;
  datasyncCalls = 0;
  writeCalls = 0;

  open = nodeFileIO.open;
  close = nodeFileIO.close;
  read = nodeFileIO.read;
  size = nodeFileIO.size;
  truncate = nodeFileIO.truncate;
  syncDirectory = nodeFileIO.syncDirectory;
  rename = nodeFileIO.rename;
  unlink = nodeFileIO.unlink;
  exists = nodeFileIO.exists;
  list = nodeFileIO.list;
  makeDirectory = nodeFileIO.makeDirectory;
  readFile = nodeFileIO.readFile;
  mtimeMs = nodeFileIO.mtimeMs;
  setMtimeMs = nodeFileIO.setMtimeMs;

  write(fd: number, buffer: Buffer, offset: number, length: number, position: number): void {
    this.writeCalls++;
    if (this.writeFailures > 0) {
      this.writeFailures--;
      const partial = Math.min(this.partialWriteBytes, length);
      if (partial > 0) nodeFileIO.write(fd, buffer, offset, partial, position);
      throw errno(this.writeErrorCode, 'write');
    }
    nodeFileIO.write(fd, buffer, offset, length, position);
  }

  datasync(fd: number): Promise<void> {
    this.datasyncCalls++;
    if (this.datasyncFailures > 0) {
      this.datasyncFailures--;
      return Promise.reject(errno('EIO', 'fdatasync'));
    }
    return nodeFileIO.datasync(fd);
  }

  datasyncSync(fd: number): void {
    this.datasyncCalls++;
    if (this.datasyncFailures > 0) {
      this.datasyncFailures--;
      throw errno('EIO', 'fdatasync');
    }
    nodeFileIO.datasyncSync(fd);
  }
}

function errno(code: string, syscall: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: injected failure, ${syscall}`);
  error.code = code;
  error.syscall = syscall;
  return error;
}
