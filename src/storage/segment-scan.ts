import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { assert } from '../core/assert.js';
import { MiB } from '../core/units.js';
import {
  ATTRIBUTES_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  CODEC_MASK,
  CONTROL_MASK,
  CRC_COVERED_OFFSET,
  CRC_OFFSET,
  DELETE_HORIZON_MASK,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAGIC_V2,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_OFFSET,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_MASK,
} from '../records/batch-layout.js';
import { crc32cFunction } from '../records/native.js';
import { CODEC_NAMES } from '../records/record.js';
import { OFFSET_INDEX_ENTRY_BYTES } from './offset-index.js';
import { TIME_INDEX_ENTRY_BYTES } from './time-index.js';

/**
 * Read-only inspection of a segment file, for `brook dump` and `brook verify`: walk the `.log`
 * batch by batch WITHOUT trusting any length, and check `.index` / `.timeindex` entries against
 * the batches found. Nothing here writes, truncates or "repairs"; unlike Log.open (whose recovery
 * cuts a torn tail), a scan only reports.
 *
 * What a scan reports:
 * - every batch whose header is plausible (batchLength within the bytes present, magic 2), with
 *   its header fields and CRC status: the CRC-32C over attributes..end is recomputed, in pieces,
 *   so a large batch is never held in memory just to check it;
 * - per batch, the structural problems its header shows (count vs lastOffsetDelta, codec bits);
 * - at most one tail: the bytes from the first position where no batch can start (fewer bytes
 *   than a header, a length that runs past the end, a wrong magic). Nothing after it is trusted,
 *   so the scan stops there, as recovery would.
 *
 * A CRC mismatch does not stop the scan: the length field lies outside the CRC, so the next
 * batch is looked for where this one says it ends (a corrupt length shows up as a tail there).
 */

/** Random access to a segment's bytes. A returned buffer is valid until the next read. */
export interface SegmentSource {
  readonly sizeBytes: number;
  read(position: number, length: number): Buffer;
}

export interface ScannedBatch {
  readonly kind: 'batch';
  /** Byte position of the batch in the file. */
  readonly position: number;
  /** Bytes of the whole batch, batchLength + 12. */
  readonly sizeBytes: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly count: number;
  readonly magic: number;
  /** Codec name, or `unknown(N)` for attribute bits no codec has. */
  readonly codec: string;
  readonly crc: 'ok' | 'mismatch';
  readonly crcStored: number;
  readonly crcComputed: number;
  readonly partitionLeaderEpoch: number;
  /** baseTimestamp (the delete horizon when deleteHorizon is set). */
  readonly firstTimestamp: number;
  readonly maxTimestamp: number;
  readonly timestampType: 'CreateTime' | 'LogAppendTime';
  readonly deleteHorizon: boolean;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly transactional: boolean;
  readonly control: boolean;
  /** Structural problems of the header other than the CRC; empty when it is sound. */
  readonly problems: ReadonlyArray<string>;
}

export interface ScanTail {
  readonly kind: 'tail';
  readonly position: number;
  /** Bytes from `position` to the end of the file, none of which form a batch. */
  readonly bytes: number;
  readonly reason: string;
}

export type ScanEntry = ScannedBatch | ScanTail;

/** Bytes hashed per CRC step and read per file refill. */
export const SCAN_CHUNK_BYTES_DEFAULT = MiB;

export interface ScanOptions {
  readonly chunkBytes?: number;
}

/** A batch is corrupt if its CRC fails or its header shows a problem. */
export function isCorrupt(batch: ScannedBatch): boolean {
  return batch.crc === 'mismatch' || batch.problems.length > 0;
}

/** Walk the batches of a segment from byte 0; at most one tail, always last. */
export function* scanSegment(source: SegmentSource, options: ScanOptions = {}): Generator<ScanEntry> {
  const chunkBytes = options.chunkBytes ?? SCAN_CHUNK_BYTES_DEFAULT;
  assert(Number.isSafeInteger(chunkBytes) && chunkBytes >= 1, `scan chunk must be ≥ 1 byte (got ${chunkBytes})`);
  let position = 0;
  while (position < source.sizeBytes) {
    const remaining = source.sizeBytes - position;
    if (remaining < RECORD_BATCH_OVERHEAD) {
      yield { kind: 'tail', position, bytes: remaining, reason: `truncated: ${remaining} bytes, under a ${RECORD_BATCH_OVERHEAD}-byte batch header` };
      return;
    }
    const header = Buffer.from(source.read(position, RECORD_BATCH_OVERHEAD));
    const refusal = headerRefusal(header, remaining);
    if (refusal !== null) {
      yield { kind: 'tail', position, bytes: remaining, reason: refusal };
      return;
    }
    const sizeBytes = header.readInt32BE(BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
    const crcComputed = streamedCrc(source, position + CRC_COVERED_OFFSET, position + sizeBytes, chunkBytes);
    yield describeBatch(header, position, sizeBytes, crcComputed);
    position += sizeBytes;
  }
}

/** Why no batch can start here (given `remaining` bytes from here to the end), or null. */
export function headerRefusal(header: Buffer, remaining: number): string | null {
  assert(header.length >= RECORD_BATCH_OVERHEAD, 'a header check needs the 61 header bytes');
  const batchLength = header.readInt32BE(BATCH_LENGTH_OFFSET);
  const minimum = RECORD_BATCH_OVERHEAD - LOG_OVERHEAD;
  if (batchLength < minimum) {
    return `batchLength ${batchLength} is under the ${minimum}-byte minimum: not a batch (garbage or zero fill)`;
  }
  if (batchLength > remaining - LOG_OVERHEAD) {
    return `truncated batch: it declares ${batchLength + LOG_OVERHEAD} bytes but only ${remaining} remain in the file`;
  }
  const magic = header.readInt8(MAGIC_OFFSET);
  if (magic !== MAGIC_V2) return `magic ${magic} where a v2 batch has ${MAGIC_V2}: not a batch (garbage)`;
  return null;
}

function streamedCrc(source: SegmentSource, start: number, end: number, chunkBytes: number): number {
  let crc = 0;
  for (let at = start; at < end; at += chunkBytes) {
    crc = crc32cFunction(source.read(at, Math.min(chunkBytes, end - at)), crc);
  }
  return crc >>> 0;
}

function describeBatch(header: Buffer, position: number, sizeBytes: number, crcComputed: number): ScannedBatch {
  const problems: string[] = [];
  const int64 = (at: number, field: string): number => {
    const value = header.readBigInt64BE(at);
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      problems.push(`${field} ${value} is outside ±2^53`);
    }
    return Number(value);
  };
  const baseOffset = int64(0, 'baseOffset');
  const attributes = header.readInt16BE(ATTRIBUTES_OFFSET);
  const lastOffsetDelta = header.readInt32BE(LAST_OFFSET_DELTA_OFFSET);
  const count = header.readInt32BE(RECORDS_COUNT_OFFSET);
  const codecId = attributes & CODEC_MASK;
  const crcStored = header.readUInt32BE(CRC_OFFSET);
  if (baseOffset < 0) problems.push(`baseOffset ${baseOffset} is negative`);
  if (CODEC_NAMES[codecId] === undefined) problems.push(`compression codec id ${codecId} is unknown (known: 0-4)`);
  if (count < 0) problems.push(`recordsCount ${count} is negative`);
  if (lastOffsetDelta < 0) problems.push(`lastOffsetDelta ${lastOffsetDelta} is negative`);
  else if (count > 0 && lastOffsetDelta < count - 1) {
    problems.push(`recordsCount ${count} does not fit in lastOffsetDelta ${lastOffsetDelta}`);
  }
  return {
    kind: 'batch',
    position,
    sizeBytes,
    baseOffset,
    lastOffset: baseOffset + lastOffsetDelta,
    count,
    magic: header.readInt8(MAGIC_OFFSET),
    codec: CODEC_NAMES[codecId] ?? `unknown(${codecId})`,
    crc: crcStored === crcComputed ? 'ok' : 'mismatch',
    crcStored,
    crcComputed,
    partitionLeaderEpoch: header.readInt32BE(PARTITION_LEADER_EPOCH_OFFSET),
    firstTimestamp: int64(BASE_TIMESTAMP_OFFSET, 'baseTimestamp'),
    maxTimestamp: int64(MAX_TIMESTAMP_OFFSET, 'maxTimestamp'),
    timestampType: (attributes & TIMESTAMP_TYPE_MASK) === 0 ? 'CreateTime' : 'LogAppendTime',
    deleteHorizon: (attributes & DELETE_HORIZON_MASK) !== 0,
    producerId: int64(PRODUCER_ID_OFFSET, 'producerId'),
    producerEpoch: header.readInt16BE(PRODUCER_EPOCH_OFFSET),
    baseSequence: header.readInt32BE(BASE_SEQUENCE_OFFSET),
    transactional: (attributes & TRANSACTIONAL_MASK) !== 0,
    control: (attributes & CONTROL_MASK) !== 0,
    problems,
  };
}

// -------------------------------------------------------------------------------------------------
// Sources

/** A segment held in memory (tests, small files). */
export function bufferSource(bytes: Buffer): SegmentSource {
  return {
    sizeBytes: bytes.length,
    read(position, length) {
      assert(position >= 0 && length >= 0 && position + length <= bytes.length, `read [${position}, +${length}) outside ${bytes.length} bytes`);
      return bytes.subarray(position, position + length);
    },
  };
}

/**
 * A segment file opened read-only, read through one window that slides forward, so a scan of
 * many small batches costs one read per window, not one per batch. The size is taken at open:
 * bytes a running broker appends later are not seen.
 */
export class FileSegmentSource implements SegmentSource {
  readonly path: string;
  readonly sizeBytes: number;
  readonly #fd: number;
  readonly #windowBytes: number;
  #storage: Buffer = Buffer.alloc(0);
  #window: Buffer = Buffer.alloc(0);
  #windowStart = 0;
  #closed = false;

  private constructor(path: string, fd: number, sizeBytes: number, windowBytes: number) {
    this.path = path;
    this.#fd = fd;
    this.sizeBytes = sizeBytes;
    this.#windowBytes = windowBytes;
  }

  static open(path: string, windowBytes = SCAN_CHUNK_BYTES_DEFAULT): FileSegmentSource {
    const fd = openSync(path, 'r');
    try {
      return new FileSegmentSource(path, fd, fstatSync(fd).size, windowBytes);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  read(position: number, length: number): Buffer {
    assert(!this.#closed, `segment source ${this.path} is closed`);
    assert(position >= 0 && length >= 0 && position + length <= this.sizeBytes, `read [${position}, +${length}) outside ${this.sizeBytes} bytes`);
    const offset = position - this.#windowStart;
    if (offset >= 0 && offset + length <= this.#window.length) return this.#window.subarray(offset, offset + length);
    const wanted = Math.min(Math.max(this.#windowBytes, length), this.sizeBytes - position);
    // One buffer, reused; one larger than the window (for a large batch) is not kept.
    if (this.#storage.length < wanted || (this.#storage.length > this.#windowBytes && wanted <= this.#windowBytes)) {
      this.#storage = Buffer.allocUnsafe(wanted);
    }
    let filled = 0;
    while (filled < wanted) {
      const count = readSync(this.#fd, this.#storage, filled, wanted - filled, position + filled);
      if (count === 0) break;
      filled += count;
    }
    // The file shrank under us (a broker truncated it): hand back zeros, which scan as garbage.
    this.#storage.fill(0, filled, wanted);
    this.#window = this.#storage.subarray(0, wanted);
    this.#windowStart = position;
    return this.#window.subarray(0, length);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }
}

/** Scan a segment file; the file is closed when the walk ends or is abandoned. */
export function* scanSegmentFile(path: string, options: ScanOptions = {}): Generator<ScanEntry> {
  const source = FileSegmentSource.open(path, options.chunkBytes ?? SCAN_CHUNK_BYTES_DEFAULT);
  try {
    yield* scanSegment(source, options);
  } finally {
    source.close();
  }
}

// -------------------------------------------------------------------------------------------------
// Order across batches and segments

export interface SegmentFinding {
  readonly position: number;
  readonly what: string;
}

/**
 * Checks that span batches: offsets strictly increase from batch to batch and from the previous
 * segment, and the first batch does not start below the base offset in the file name. (It may
 * start above it: compaction removes whole batches but keeps the file's name.)
 */
export class OffsetOrderCheck {
  readonly #nameBaseOffset: number;
  #previousLastOffset: number;
  #first = true;

  /** `previousLastOffset`: the last offset of the segment before, or nameBaseOffset − 1. */
  constructor(nameBaseOffset: number, previousLastOffset: number) {
    this.#nameBaseOffset = nameBaseOffset;
    this.#previousLastOffset = previousLastOffset;
  }

  /** The segment's name itself must lie past the previous segment's offsets. */
  static segmentName(nameBaseOffset: number, previousLastOffset: number): string | null {
    return nameBaseOffset <= previousLastOffset
      ? `segment base offset ${nameBaseOffset} (its file name) is not above the previous segment's last offset ${previousLastOffset}`
      : null;
  }

  check(batch: ScannedBatch): string | null {
    const first = this.#first;
    this.#first = false;
    const previous = this.#previousLastOffset;
    if (batch.lastOffset > previous) this.#previousLastOffset = batch.lastOffset;
    if (first && batch.baseOffset < this.#nameBaseOffset) {
      return `first batch starts at offset ${batch.baseOffset}, below the segment's base offset ${this.#nameBaseOffset} (its file name)`;
    }
    if (batch.baseOffset <= previous) {
      return `offsets go backwards: batch ${batch.baseOffset}..${batch.lastOffset} comes after offset ${previous}`;
    }
    return null;
  }

  get lastOffset(): number {
    return this.#previousLastOffset;
  }
}

// -------------------------------------------------------------------------------------------------
// Indexes

export interface OffsetIndexEntry {
  /** Absolute offset (segment base + relative offset). */
  readonly offset: number;
  readonly position: number;
}

export interface TimeIndexEntry {
  readonly timestamp: number;
  readonly offset: number;
}

export interface ParsedIndex<T> {
  readonly entries: ReadonlyArray<T>;
  /** Bytes at the end that do not make a whole entry. */
  readonly trailingBytes: number;
}

export function parseOffsetIndex(bytes: Buffer, baseOffset: number): ParsedIndex<OffsetIndexEntry> {
  const entries: OffsetIndexEntry[] = [];
  const whole = bytes.length - (bytes.length % OFFSET_INDEX_ENTRY_BYTES);
  for (let at = 0; at < whole; at += OFFSET_INDEX_ENTRY_BYTES) {
    entries.push({ offset: baseOffset + bytes.readInt32BE(at), position: bytes.readInt32BE(at + 4) });
  }
  return { entries, trailingBytes: bytes.length - whole };
}

export function parseTimeIndex(bytes: Buffer, baseOffset: number): ParsedIndex<TimeIndexEntry> {
  const entries: TimeIndexEntry[] = [];
  const whole = bytes.length - (bytes.length % TIME_INDEX_ENTRY_BYTES);
  for (let at = 0; at < whole; at += TIME_INDEX_ENTRY_BYTES) {
    entries.push({ timestamp: Number(bytes.readBigInt64BE(at)), offset: baseOffset + bytes.readInt32BE(at + 8) });
  }
  return { entries, trailingBytes: bytes.length - whole };
}

export interface IndexFinding {
  /** Entry number in the file, or -1 for the file as a whole. */
  readonly entry: number;
  readonly what: string;
}

/**
 * An offset index entry maps the last offset of a batch to the position where that batch
 * starts. Each entry must point at a batch start found by the scan, name that batch's last
 * offset, and lie past the entry before it.
 */
export function checkOffsetIndex(index: ParsedIndex<OffsetIndexEntry>, batches: ReadonlyArray<ScannedBatch>, logBytes: number): IndexFinding[] {
  const findings: IndexFinding[] = [];
  const byPosition = new Map(batches.map((batch) => [batch.position, batch]));
  let previous: OffsetIndexEntry | null = null;
  for (const [number, entry] of index.entries.entries()) {
    const where = `offset ${entry.offset} → position ${entry.position}`;
    if (previous !== null && (entry.offset <= previous.offset || entry.position <= previous.position)) {
      findings.push({ entry: number, what: `${where} does not lie past the entry before (offset ${previous.offset} → position ${previous.position})` });
    }
    previous = entry;
    const batch = byPosition.get(entry.position);
    if (entry.position < 0 || entry.position >= logBytes) {
      findings.push({ entry: number, what: `${where} points outside the ${logBytes}-byte log` });
    } else if (batch === undefined) {
      findings.push({ entry: number, what: `${where}: no batch starts at position ${entry.position}` });
    } else if (batch.lastOffset !== entry.offset) {
      findings.push({ entry: number, what: `${where}: the batch there holds offsets ${batch.baseOffset}..${batch.lastOffset}, so the entry should name ${batch.lastOffset}` });
    }
  }
  if (index.trailingBytes > 0) findings.push({ entry: -1, what: `${index.trailingBytes} bytes at the end do not make a whole ${OFFSET_INDEX_ENTRY_BYTES}-byte entry` });
  return findings;
}

/**
 * A time index entry holds the largest timestamp seen so far and the last offset of the batch
 * holding it: that batch must exist and have that max timestamp; timestamps strictly increase.
 */
export function checkTimeIndex(index: ParsedIndex<TimeIndexEntry>, batches: ReadonlyArray<ScannedBatch>): IndexFinding[] {
  const findings: IndexFinding[] = [];
  const byLastOffset = new Map(batches.map((batch) => [batch.lastOffset, batch]));
  let previous: TimeIndexEntry | null = null;
  for (const [number, entry] of index.entries.entries()) {
    const where = `timestamp ${entry.timestamp} → offset ${entry.offset}`;
    if (previous !== null && (entry.timestamp <= previous.timestamp || entry.offset < previous.offset)) {
      findings.push({ entry: number, what: `${where} does not lie past the entry before (timestamp ${previous.timestamp} → offset ${previous.offset})` });
    }
    previous = entry;
    const batch = byLastOffset.get(entry.offset);
    if (batch === undefined) {
      findings.push({ entry: number, what: `${where}: no batch ends at offset ${entry.offset}` });
    } else if (batch.maxTimestamp !== entry.timestamp) {
      findings.push({ entry: number, what: `${where}: the batch ending there has max timestamp ${batch.maxTimestamp}` });
    }
  }
  if (index.trailingBytes > 0) findings.push({ entry: -1, what: `${index.trailingBytes} bytes at the end do not make a whole ${TIME_INDEX_ENTRY_BYTES}-byte entry` });
  return findings;
}
