import { BATCH_LENGTH_OFFSET, LOG_OVERHEAD, RECORDS_COUNT_OFFSET, RECORD_BATCH_OVERHEAD } from './batch-layout.js';

/**
 * Records in stored batches, summed from their headers' recordsCount without decoding anything.
 * The bytes were CRC-checked when stored; a length that runs past the buffer ends the count
 * (a fetch may end with a partial batch, which the client ignores too).
 */
export function storedRecordCount(batches: Buffer | ReadonlyArray<Buffer>): number {
  if (!Buffer.isBuffer(batches)) {
    let total = 0;
    for (const slice of batches) total += storedRecordCount(slice);
    return total;
  }
  let total = 0;
  let position = 0;
  while (position + RECORD_BATCH_OVERHEAD <= batches.length) {
    const batchBytes = LOG_OVERHEAD + batches.readInt32BE(position + BATCH_LENGTH_OFFSET);
    if (batchBytes < RECORD_BATCH_OVERHEAD || position + batchBytes > batches.length) break;
    total += batches.readInt32BE(position + RECORDS_COUNT_OFFSET);
    position += batchBytes;
  }
  return total;
}
