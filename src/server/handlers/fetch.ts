import type { Log } from '../../storage/log.js';
import { waitForData, type FetchPosition } from '../../broker/fetcher.js';
import { fetchChannel, publishFetch } from '../../core/channels.js';
import { storedRecordCount } from '../../records/stored-batches.js';
import { API_KEYS } from '../../protocol/api-table.js';
import type { Decoded, ElementOf, Encodable } from '../../protocol/schema/schema-types.js';
import { KAFKA, kafkaErrorCode } from '../kafka-errors.js';
import type { RequestContext } from '../request-context.js';
import type { HandlerRegistry } from './registry.js';

type FetchRequest = Decoded<'FetchRequest'>;
type PartitionData = ElementOf<ElementOf<Encodable<'FetchResponse'>['responses']>['partitions']>;

/**
 * Fetch, sessionless (session id 0 in every answer, so clients never send forgotten topics).
 * Records are the stored batch bytes, handed to the socket as slices: never decoded, never
 * re-encoded. From the batch that holds the fetch offset, whole batches below the high watermark,
 * up to the partition's max bytes and the request's max bytes; the first batch of the response is
 * always whole even when larger (KIP-74). With fewer than min_bytes available the request waits up
 * to max_wait_ms and is answered as soon as an append brings enough (or the server shuts down).
 */
export function registerFetchHandler(registry: HandlerRegistry): void {
  registry.register<'FetchRequest', 'FetchResponse'>(API_KEYS.Fetch, async (context, request) => {
    const positions = fetchPositions(context, request);
    const minBytes = Math.max(0, request.minBytes);
    if (request.maxWaitMs > 0 && minBytes > 0 && positions.length > 0 && !context.state.shutdown.aborted) {
      const shutdown = context.state.shutdown;
      const signal: { aborted: boolean; onAbort?: () => void } = { aborted: false };
      const wake = (): void => signal.onAbort?.();
      shutdown.waiters.add(wake);
      try {
        await waitForData(positions, minBytes, request.maxWaitMs, context.state.clock, signal);
      } finally {
        shutdown.waiters.delete(wake);
      }
    }
    return {
      throttleTimeMs: 0,
      errorCode: KAFKA.NONE,
      sessionId: 0,
      responses: respond(context, request),
    };
  });
}

function findLog(context: RequestContext, topic: string, partition: number): Log | null {
  const broker = context.state.broker;
  if (!broker.hasTopic(topic) || partition < 0 || partition >= broker.partitionCount(topic)) return null;
  return broker.log(topic, partition);
}

function fetchPositions(context: RequestContext, request: FetchRequest): FetchPosition[] {
  const positions: FetchPosition[] = [];
  for (const topic of request.topics) {
    for (const partition of topic.partitions) {
      const log = findLog(context, topic.topic, partition.partition);
      if (log !== null) positions.push({ log, offset: partition.fetchOffset });
    }
  }
  return positions;
}

function respond(context: RequestContext, request: FetchRequest): Array<ElementOf<Encodable<'FetchResponse'>['responses']>> {
  // max_bytes 0 (v0-2 have none) means no request-level limit.
  let budget = request.maxBytes > 0 ? request.maxBytes : Number.MAX_SAFE_INTEGER;
  let first = true;
  return request.topics.map((topic) => ({
    topic: topic.topic,
    partitions: topic.partitions.map((partition): PartitionData => {
      const log = findLog(context, topic.topic, partition.partition);
      if (log === null) return failed(partition.partition, KAFKA.UNKNOWN_TOPIC_OR_PARTITION);
      const highWatermark = log.highWatermark;
      const logStartOffset = log.logStartOffset;
      const base: PartitionData = {
        partitionIndex: partition.partition,
        errorCode: KAFKA.NONE,
        highWatermark,
        lastStableOffset: highWatermark,
        logStartOffset,
        abortedTransactions: null,
        preferredReadReplica: -1,
        records: null,
      };
      const offset = partition.fetchOffset;
      if (offset < logStartOffset || offset > highWatermark) return { ...base, errorCode: KAFKA.OFFSET_OUT_OF_RANGE };
      const limit = Math.min(partition.partitionMaxBytes > 0 ? partition.partitionMaxBytes : 0, budget);
      const slices: Buffer[] = [];
      let bytes = 0;
      let at = offset;
      try {
        while (at < highWatermark && (bytes < limit || (first && bytes === 0))) {
          const result = log.read(at, Math.max(1, limit - bytes), highWatermark);
          if (result.records.length === 0) break;
          slices.push(result.records);
          bytes += result.records.length;
          at = result.nextOffset;
          first = false;
        }
      } catch (error) {
        if (slices.length === 0) return { ...base, errorCode: kafkaErrorCode(error) };
      }
      budget -= bytes;
      if (fetchChannel.hasSubscribers) publishFetch(context.state.broker, topic.topic, partition.partition, storedRecordCount(slices), bytes);
      return { ...base, records: slices.length === 1 ? (slices[0] as Buffer) : slices };
    }),
  }));
}

function failed(partitionIndex: number, errorCode: number): PartitionData {
  return { partitionIndex, errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: null };
}
