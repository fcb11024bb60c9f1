/** A record as an application gives it to the encoder. */
export interface RecordInput {
  readonly key?: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: ReadonlyArray<RecordHeaderInput>;
  /** Milliseconds since the epoch; defaults to the batch's timestamp. */
  readonly timestamp?: number;
  /**
   * Offset relative to the batch's base offset. Producers leave it out (record i gets i); the
   * compactor sets it to keep a surviving record's original offset.
   */
  readonly offsetDelta?: number;
}

export interface RecordHeaderInput {
  readonly key: string;
  readonly value: Buffer | string | null;
}

/** A decoded record. key, value and header values are slices of the batch bytes, not copies. */
export interface Record {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: ReadonlyArray<RecordHeader>;
}

export interface RecordHeader {
  readonly key: string;
  readonly value: Buffer | null;
}

export type CompressionCodec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export const CODEC_NAMES: ReadonlyArray<CompressionCodec> = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
