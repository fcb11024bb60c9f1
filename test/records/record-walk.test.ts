import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { EngineError } from '../../src/core/errors.js';
import { RECORDS_OFFSET } from '../../src/records/batch-layout.js';
import { encodeRecordBatch, forEachRecord, recordsSection } from '../../src/records/record-batch.js';
import { walkRecords } from '../../src/records/record-walk.js';

/** Outcome of a check: 'ok:<null keys>' or the error code. */
function outcome(run: () => number): string {
  try {
    return `ok:${run()}`;
  } catch (error) {
    if (error instanceof EngineError) return error.code;
    throw error;
  }
}

const recordArbitrary = fc.record({
  key: fc.option(fc.string({ maxLength: 12 }), { nil: null }),
  value: fc.option(fc.string({ maxLength: 40 }), { nil: null }),
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 6 }), value: fc.option(fc.string({ maxLength: 6 }), { nil: null }) }), {
    maxLength: 3,
  }),
  timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
});

describe('walkRecords', () => {
  test('agrees with the decoding walk on valid and mutated records: same verdict, same error code', () => {
    fc.assert(
      fc.property(
        fc.array(recordArbitrary, { minLength: 1, maxLength: 20 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        (records, mutations) => {
          const batch = encodeRecordBatch(records);
          for (const [index, byte] of mutations) {
            const position = RECORDS_OFFSET + (index % (batch.length - RECORDS_OFFSET));
            batch[position] = byte;
          }
          const count = batch.readInt32BE(57);
          const lastOffsetDelta = batch.readInt32BE(23);
          const section = recordsSection(batch, 0, batch.length, 1 << 20);
          const fast = outcome(() => walkRecords(section, count, lastOffsetDelta, 0));
          let nullKeys = 0;
          const slow = outcome(() => {
            forEachRecord(batch, 0, batch.length, 1 << 20, (record) => {
              if (record.key === null) nullKeys++;
            });
            return nullKeys;
          });
          expect(fast).toBe(slow);
        },
      ),
      { seed: 0x77616c6b, numRuns: 3000 },
    );
  });

  test('counts records with a null key', () => {
    const batch = encodeRecordBatch([{ key: null, value: 'a' }, { key: 'k', value: 'b' }, { key: null, value: null }]);
    expect(walkRecords(batch.subarray(RECORDS_OFFSET), 3, 2, 0)).toBe(2);
  });
});
