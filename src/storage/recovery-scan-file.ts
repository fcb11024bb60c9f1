import { CorruptSegmentError } from '../core/errors.js';
import { nodeFileIO, type FileIO } from './file-io.js';
import { scanForRecovery, type RecoveryRead, type RecoveryScan } from './recovery-scan.js';

/**
 * Reading a segment file for a recovery scan (recovery-scan.ts).
 *
 * - `recoveryReader` reads each chunk into one scratch buffer, reused chunk after chunk, and
 *   grown only for a batch larger than a chunk: a fresh 8 MiB Buffer per chunk costs ~20% more
 *   per scan (page faults on new memory; 64 MiB segment, 19–28 ms against 16–21 ms).
 * - `scanSegmentFile` is the scan for a worker thread: it opens the file read-only on a
 *   descriptor of its own, so the thread that owns the segment neither reads nor copies it.
 *
 * A file shorter than asked for is a CorruptSegmentError, with the message LogSegment.read gives.
 */
export function recoveryReader(io: FileIO, fd: number, path: string): RecoveryRead {
  let scratch: Buffer | null = null;
  return (position, length) => {
    if (scratch === null || scratch.length < length) scratch = Buffer.allocUnsafeSlow(Math.max(length, 1));
    const count = io.read(fd, scratch, 0, length, position);
    if (count !== length) {
      throw new CorruptSegmentError(
        'CORRUPT_SEGMENT',
        `segment ${path} is shorter than expected: read ${count} of ${length} bytes at ${position}`,
      );
    }
    return scratch.subarray(0, length);
  };
}

export function scanSegmentFile(path: string, fileBytes: number, io: FileIO = nodeFileIO): RecoveryScan {
  const fd = io.open(path, 'r');
  try {
    return scanForRecovery(fileBytes, recoveryReader(io, fd, path));
  } finally {
    io.close(fd);
  }
}

