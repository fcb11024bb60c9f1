/**
 * Kafka RecordBatch v2 (magic 2) header layout, byte for byte. All integers are big-endian.
 *
 * | field                | offset | bytes | notes                                              |
 * |----------------------|-------:|------:|----------------------------------------------------|
 * | baseOffset           |      0 |     8 | producer sends 0; the log writes the real offset  |
 * | batchLength          |      8 |     4 | bytes after this field = total size - 12          |
 * | partitionLeaderEpoch |     12 |     4 | producer sends -1; the leader stamps its epoch    |
 * | magic                |     16 |     1 | 2                                                  |
 * | crc                  |     17 |     4 | CRC-32C of bytes [21, end)                         |
 * | attributes           |     21 |     2 | codec bits 0-2, timestamp type 3, txn 4, ctrl 5, delete horizon 6 |
 * | lastOffsetDelta      |     23 |     4 |                                                    |
 * | baseTimestamp        |     27 |     8 |                                                    |
 * | maxTimestamp         |     35 |     8 |                                                    |
 * | producerId           |     43 |     8 | -1 when not idempotent                             |
 * | producerEpoch        |     51 |     2 |                                                    |
 * | baseSequence         |     53 |     4 |                                                    |
 * | recordsCount         |     57 |     4 |                                                    |
 * | records              |     61 |     … | compressed as one blob when the codec is not none  |
 *
 * Why the CRC starts at attributes: baseOffset, batchLength, partitionLeaderEpoch and magic lie
 * outside it, so the log can write the assigned offset and the leader epoch into a stored batch
 * without recomputing the checksum. Those fields are checked separately (length against the bytes
 * present, magic == 2, offsets monotonic).
 */
export const BASE_OFFSET_OFFSET = 0;
export const BASE_OFFSET_BYTES = 8;
export const BATCH_LENGTH_OFFSET = BASE_OFFSET_OFFSET + BASE_OFFSET_BYTES;
export const BATCH_LENGTH_BYTES = 4;
export const PARTITION_LEADER_EPOCH_OFFSET = BATCH_LENGTH_OFFSET + BATCH_LENGTH_BYTES;
export const PARTITION_LEADER_EPOCH_BYTES = 4;
export const MAGIC_OFFSET = PARTITION_LEADER_EPOCH_OFFSET + PARTITION_LEADER_EPOCH_BYTES;
export const MAGIC_BYTES = 1;
export const CRC_OFFSET = MAGIC_OFFSET + MAGIC_BYTES;
export const CRC_BYTES = 4;
export const ATTRIBUTES_OFFSET = CRC_OFFSET + CRC_BYTES;
export const ATTRIBUTES_BYTES = 2;
export const LAST_OFFSET_DELTA_OFFSET = ATTRIBUTES_OFFSET + ATTRIBUTES_BYTES;
export const LAST_OFFSET_DELTA_BYTES = 4;
export const BASE_TIMESTAMP_OFFSET = LAST_OFFSET_DELTA_OFFSET + LAST_OFFSET_DELTA_BYTES;
export const BASE_TIMESTAMP_BYTES = 8;
export const MAX_TIMESTAMP_OFFSET = BASE_TIMESTAMP_OFFSET + BASE_TIMESTAMP_BYTES;
export const MAX_TIMESTAMP_BYTES = 8;
export const PRODUCER_ID_OFFSET = MAX_TIMESTAMP_OFFSET + MAX_TIMESTAMP_BYTES;
export const PRODUCER_ID_BYTES = 8;
export const PRODUCER_EPOCH_OFFSET = PRODUCER_ID_OFFSET + PRODUCER_ID_BYTES;
export const PRODUCER_EPOCH_BYTES = 2;
export const BASE_SEQUENCE_OFFSET = PRODUCER_EPOCH_OFFSET + PRODUCER_EPOCH_BYTES;
export const BASE_SEQUENCE_BYTES = 4;
export const RECORDS_COUNT_OFFSET = BASE_SEQUENCE_OFFSET + BASE_SEQUENCE_BYTES;
export const RECORDS_COUNT_BYTES = 4;
export const RECORDS_OFFSET = RECORDS_COUNT_OFFSET + RECORDS_COUNT_BYTES;

/** Size of the v2 header; a batch is never shorter. */
export const RECORD_BATCH_OVERHEAD = RECORDS_OFFSET;
/** baseOffset + batchLength: the bytes not counted by batchLength. */
export const LOG_OVERHEAD = BATCH_LENGTH_OFFSET + BATCH_LENGTH_BYTES;
/** The first byte covered by the CRC. */
export const CRC_COVERED_OFFSET = ATTRIBUTES_OFFSET;

export const MAGIC_V2 = 2;

export const CODEC_MASK = 0x07;
export const TIMESTAMP_TYPE_MASK = 0x08;
export const TRANSACTIONAL_MASK = 0x10;
export const CONTROL_MASK = 0x20;
export const DELETE_HORIZON_MASK = 0x40;

export const CODEC_NONE = 0;
export const CODEC_GZIP = 1;
export const CODEC_SNAPPY = 2;
export const CODEC_LZ4 = 3;
export const CODEC_ZSTD = 4;

export const NO_TIMESTAMP = -1;
export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

if (RECORD_BATCH_OVERHEAD !== 61) throw new Error('RecordBatch v2 header must be 61 bytes');
if (CRC_COVERED_OFFSET !== 21) throw new Error('CRC must start at attributes (byte 21)');
