import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Broker } from '../../src/broker/broker.js';
import { ConsumerGroups } from '../../src/groups/consumer-groups.js';

/**
 * A broker process for the broker SIGKILL test (test/broker/broker-crash.test.ts). Run as
 * `node dist/test/helpers/broker-child.js <data dir> <round>`; it never exits by itself.
 *
 * It opens the broker (page-cache durability, Kafka's default), makes sure topic `orders` (3
 * partitions) exists, then forever: produces 10 keyed records with acks=all and, once they are
 * acknowledged, commits for group `audit` the offset after them on their partition (a simple
 * commit, as an admin tool would). It prints `ack <partition> <offset> <value>` for each
 * acknowledged record and `committed <partition> <offset>` for each acknowledged commit.
 */
async function main(directory: string, round: number): Promise<void> {
  const broker = await Broker.open({ dataDir: directory, scheduleTasks: false });
  if (!broker.hasTopic('orders')) await broker.createTopic('orders', { partitions: 3 });
  const groups = await ConsumerGroups.open(broker);
  const producer = broker.producer({ acks: 'all' });
  for (let sequence = 0; ; sequence += 10) {
    const messages = Array.from({ length: 10 }, (_, index) => ({
      key: `key-${(sequence + index) % 7}`,
      value: `round=${round} seq=${sequence + index}`,
    }));
    const sent = await producer.send({ topic: 'orders', messages });
    for (const metadata of sent) {
      process.stdout.write(`ack ${metadata.partition} ${metadata.offset} round=${round} seq=${sequence + sent.indexOf(metadata)}\n`);
    }
    const last = new Map<number, number>();
    for (const metadata of sent) last.set(metadata.partition, Math.max(last.get(metadata.partition) ?? -1, metadata.offset));
    const response = await groups.coordinator.commitOffsets({
      groupId: 'audit',
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [
        {
          name: 'orders',
          partitions: [...last].map(([partitionIndex, offset]) => ({
            partitionIndex,
            committedOffset: offset + 1,
            committedLeaderEpoch: -1,
            committedMetadata: null,
          })),
        },
      ],
    });
    for (const partition of response.topics[0]!.partitions) {
      if (partition.errorCode !== 'NONE') throw new Error(`commit refused: ${partition.errorCode}`);
      process.stdout.write(`committed ${partition.partitionIndex} ${last.get(partition.partitionIndex)! + 1}\n`);
    }
  }
}

const invokedPath = process.argv[1] === undefined ? '' : realpathSync(process.argv[1]);
if (invokedPath === realpathSync(fileURLToPath(import.meta.url))) {
  main(process.argv[2]!, Number(process.argv[3])).catch((error: unknown) => {
    process.stderr.write(`broker-child: ${String(error)}\n`);
    process.exit(1);
  });
}
