import { API_KEYS } from '../../protocol/api-table.js';
import type { Decoded, ElementOf, Encodable } from '../../protocol/schema/schema-types.js';
import { KAFKA, kafkaErrorCode } from '../kafka-errors.js';
import { NO_RESPONSE, type RequestContext } from '../request-context.js';
import type { HandlerRegistry } from './registry.js';

type PartitionResponse = ElementOf<ElementOf<Encodable<'ProduceResponse'>['responses']>['partitionResponses']>;
type PartitionData = Decoded<'ProduceRequest'>['topicData'][number]['partitionData'][number];

const BATCH_LENGTH_OFFSET = 8;
const MAGIC_OFFSET = 16;
const LOG_OVERHEAD = 12;

/**
 * Produce: each partition's records must be exactly one RecordBatch v2 (magic 0/1 message sets
 * are refused with UNSUPPORTED_FOR_MESSAGE_FORMAT, several batches with INVALID_RECORD); the log
 * checks CRC-32C, lengths and records (CORRUPT_MESSAGE), max.message.bytes (MESSAGE_TOO_LARGE) and
 * idempotent sequences, then stores the bytes as sent (the producer's compression is kept).
 * Partitions of one request are appended concurrently. acks=-1 on one node is acks=1; acks=0 gets
 * no response, and an error with acks=0 closes the connection, as Kafka does, so the producer
 * notices.
 */
export function registerProduceHandlers(registry: HandlerRegistry): void {
  registry.register<'ProduceRequest', 'ProduceResponse'>(API_KEYS.Produce, async (context, request) => {
    const acks = request.acks;
    const validAcks = acks === -1 || acks === 0 || acks === 1;
    let failure: number | null = null;
    const responses = await Promise.all(
      request.topicData.map(async (topic) => ({
        name: topic.name,
        partitionResponses: await Promise.all(
          topic.partitionData.map(async (data): Promise<PartitionResponse> => {
            const outcome = validAcks ? await append(context, topic.name, data) : refused(data.index, KAFKA.INVALID_REQUIRED_ACKS);
            if (outcome.errorCode !== KAFKA.NONE) failure ??= outcome.errorCode ?? KAFKA.UNKNOWN_SERVER_ERROR;
            return outcome;
          }),
        ),
      })),
    );
    if (acks === 0) {
      if (failure !== null) throw new Error(`acks=0 produce failed with Kafka error ${failure}`);
      return NO_RESPONSE;
    }
    return { responses, throttleTimeMs: 0 };
  });

  registry.register<'InitProducerIdRequest', 'InitProducerIdResponse'>(API_KEYS.InitProducerId, (context, request) => {
    if (request.transactionalId !== null) {
      // Transactions are not implemented; a transactional producer gets a final refusal.
      return { throttleTimeMs: 0, errorCode: TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
    }
    const { producerId, producerEpoch } = context.state.broker.initProducerId();
    return { throttleTimeMs: 0, errorCode: KAFKA.NONE, producerId, producerEpoch };
  });
}

const TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53;

function refused(index: number, errorCode: number): PartitionResponse {
  return { index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
}

async function append(context: RequestContext, topic: string, data: PartitionData): Promise<PartitionResponse> {
  const records = data.records;
  if (records === null || records.length < MAGIC_OFFSET + 1) return refused(data.index, KAFKA.CORRUPT_MESSAGE);
  if ((records[MAGIC_OFFSET] as number) < 2) return refused(data.index, KAFKA.UNSUPPORTED_FOR_MESSAGE_FORMAT);
  const batchBytes = LOG_OVERHEAD + records.readInt32BE(BATCH_LENGTH_OFFSET);
  if (batchBytes < records.length) return refused(data.index, KAFKA.INVALID_RECORD);
  const broker = context.state.broker;
  try {
    const result = await broker.append(topic, data.index, records);
    return {
      index: data.index,
      errorCode: KAFKA.NONE,
      baseOffset: result.baseOffset,
      logAppendTimeMs: result.logAppendTimeMs,
      logStartOffset: broker.log(topic, data.index).logStartOffset,
    };
  } catch (error) {
    return refused(data.index, kafkaErrorCode(error));
  }
}
