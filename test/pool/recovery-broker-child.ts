import { Broker } from '../../src/broker/broker.js';
import { encodeRecordBatch } from '../../src/records/record-batch.js';
import { isEntryPoint } from '../helpers/entry-point.js';

/**
 * A broker process with 2 worker threads for the recovery-on-the-pool SIGKILL test
 * (test/pool/recovery-crash.test.ts), after test/helpers/broker-child.ts and crash-child.ts.
 * Run as `node dist/test/pool/recovery-broker-child.js <data dir> <round>`; it never exits by
 * itself: the parent kills it with SIGKILL.
 *
 * It opens the broker (`workers: 2`, page-cache durability), makes sure topic `events` (3
 * partitions) exists, and keeps RECOVERY_CHILD_APPENDS_IN_FLIGHT appends outstanding, batch i
 * to partition i mod 3: RECOVERY_CHILD_RECORDS_PER_BATCH records whose values encode (round,
 * sequence) (recoveryRecordValue), LZ4 for every other batch. Batches are tens of KB, so the
 * partitions' segments soon pass the pool's recovery-scan threshold. Only once an append is
 * acknowledged does it print
 *
 *   ack <partition> <baseOffset> <lastOffset> <firstSequence>
 */

export const RECOVERY_CHILD_PARTITIONS = 3;
export const RECOVERY_CHILD_APPENDS_IN_FLIGHT = 6;
export const RECOVERY_CHILD_RECORDS_PER_BATCH = 300;

/** The value of record `sequence` written in round `round`: 40-240 bytes, fixed by both. */
export function recoveryRecordValue(round: number, sequence: number): string {
  const filler = String.fromCharCode(97 + ((round * 7 + sequence) % 26)).repeat((sequence * 7919) % 200);
  return `round=${round} seq=${sequence} ${filler}`;
}

async function main(directory: string, round: number): Promise<void> {
  const broker = await Broker.open({ dataDir: directory, scheduleTasks: false, workers: 2 });
  if (!broker.hasTopic('events')) await broker.createTopic('events', { partitions: RECOVERY_CHILD_PARTITIONS });
  let nextSequence = 0;
  let nextBatch = 0;
  const appendForever = async (): Promise<never> => {
    for (;;) {
      const batchIndex = nextBatch++;
      const partition = batchIndex % RECOVERY_CHILD_PARTITIONS;
      const firstSequence = nextSequence;
      nextSequence += RECOVERY_CHILD_RECORDS_PER_BATCH;
      const records = Array.from({ length: RECOVERY_CHILD_RECORDS_PER_BATCH }, (_, index) => ({
        key: `key-${(firstSequence + index) % 17}`,
        value: recoveryRecordValue(round, firstSequence + index),
      }));
      const batch = encodeRecordBatch(records, { compression: batchIndex % 2 === 0 ? 'none' : 'lz4' });
      const result = await broker.append('events', partition, batch);
      process.stdout.write(`ack ${partition} ${result.baseOffset} ${result.lastOffset} ${firstSequence}\n`);
    }
  };
  await Promise.all(Array.from({ length: RECOVERY_CHILD_APPENDS_IN_FLIGHT }, appendForever));
}

if (isEntryPoint(import.meta.url)) {
  main(process.argv[2]!, Number(process.argv[3])).catch((error: unknown) => {
    process.stderr.write(`recovery-broker-child: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
