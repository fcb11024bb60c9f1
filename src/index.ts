/**
 * Brook's public API. Everything a user embeds is re-exported here; nothing internal is.
 */
export { Log } from './storage/log.js';
export type {
  AppendResult,
  CompactionResult,
  Durability,
  LogOptions,
  ReadResult,
  RecoveryReport,
  TimestampLookup,
} from './storage/log.js';
export { RECOVERY_CHANNEL, CORRUPTION_CHANNEL } from './storage/log.js';
export { LOG_CONFIG_DEFAULTS, LOG_CONFIG_KEYS, resolveLogConfig } from './storage/config.js';
export type { LogConfig, LogConfigInput, LogConfigKey } from './storage/config.js';
export type { FileIO } from './storage/file-io.js';
export { encodeRecordBatch, decodeRecordBatch, validateRecordBatch, readBatchHeader } from './records/record-batch.js';
export type { BatchHeader, DecodedBatch, EncodeBatchOptions } from './records/record-batch.js';
export type { CompressionCodec, Record, RecordHeader, RecordInput } from './records/record.js';
export {
  ERROR_CODES,
  EngineError,
  ConfigError,
  CorruptRecordError,
  CorruptSegmentError,
  InvalidRecordError,
  LogClosedError,
  OffsetOutOfRangeError,
  ProtocolError,
  RecordTooLargeError,
  StorageError,
} from './core/errors.js';
export type { ErrorCode } from './core/errors.js';
export { Broker } from './broker/broker.js';
export type { BrokerOptions, CreateTopicOptions, TopicDescription, PartitionDescription, ConfigSource } from './broker/broker.js';
export { Producer } from './broker/producer.js';
export type { ProducerOptions, ProducerMessage, RecordMetadata, Acks } from './broker/producer.js';
export { Consumer } from './broker/consumer.js';
export type { ConsumerOptions, FetchedBatch, TopicPartition, OffsetReset } from './broker/consumer.js';
export { ConsumerGroups, GroupConsumer } from './groups/consumer-groups.js';
export type { ConsumerGroupsOptions, GroupConsumerOptions } from './groups/consumer-groups.js';
export { GroupCoordinator } from './groups/coordinator.js';
export { ManualClock, systemClock } from './core/clock.js';
export type { Clock, TimerHandle } from './core/clock.js';
export type { BrokerServer, ListenOptions } from './server/server.js';
export { CONNECTION_CLOSED_CHANNEL } from './server/server.js';
export type { ServerConfigInput } from './server/server-config.js';
export { BrookMetrics, REQUEST_DURATION_BUCKETS_SECONDS } from './metrics/brook-metrics.js';
export type { BrookMetricsOptions } from './metrics/brook-metrics.js';
export { MetricsServer, METRICS_PATH } from './metrics/metrics-server.js';
export type { MetricsServerOptions } from './metrics/metrics-server.js';
export { PRODUCE_CHANNEL, FETCH_CHANNEL, REQUEST_CHANNEL } from './core/channels.js';
export type { ProduceMessage, FetchMessage, RequestMessage } from './core/channels.js';
