import { API_KEYS } from '../../protocol/api-table.js';
import { KAFKA, kafkaErrorCode } from '../kafka-errors.js';
import type { HandlerRegistry } from './registry.js';

const LATEST = -1;
const EARLIEST = -2;

/**
 * ListOffsets: timestamp -1 = the high watermark (= last stable offset: no transactions), -2 = the
 * log start offset, ≥ 0 = the first record with a timestamp at or after it (time index), else
 * offset -1. v0 answers in old_style_offsets; leader epoch (v4+) is 0.
 */
export function registerListOffsetsHandler(registry: HandlerRegistry): void {
  registry.register<'ListOffsetsRequest', 'ListOffsetsResponse'>(API_KEYS.ListOffsets, (context, request) => {
    const broker = context.state.broker;
    const version = context.header.apiVersion;
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((partition) => {
          const index = partition.partitionIndex;
          const answer = (errorCode: number, offset: number, timestamp: number) => ({
            partitionIndex: index,
            errorCode,
            oldStyleOffsets: version === 0 && offset >= 0 ? [offset] : [],
            timestamp,
            offset,
            leaderEpoch: errorCode === KAFKA.NONE ? 0 : -1,
          });
          if (!broker.hasTopic(topic.name) || index < 0 || index >= broker.partitionCount(topic.name)) {
            return answer(KAFKA.UNKNOWN_TOPIC_OR_PARTITION, -1, -1);
          }
          const log = broker.log(topic.name, index);
          if (partition.timestamp === LATEST) return answer(KAFKA.NONE, log.highWatermark, -1);
          if (partition.timestamp === EARLIEST) return answer(KAFKA.NONE, log.logStartOffset, -1);
          if (partition.timestamp < 0) return answer(KAFKA.UNSUPPORTED_VERSION, -1, -1);
          try {
            const found = log.offsetForTimestamp(partition.timestamp);
            return found === null ? answer(KAFKA.NONE, -1, -1) : answer(KAFKA.NONE, found.offset, found.timestamp);
          } catch (error) {
            return answer(kafkaErrorCode(error), -1, -1);
          }
        }),
      })),
    };
  });
}
