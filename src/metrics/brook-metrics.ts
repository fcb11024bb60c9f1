import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Counter, Gauge, Histogram, MetricObjectWithValues, MetricValue, Registry } from 'prom-client';
import type { Broker } from '../broker/broker.js';
import type { ConsumerGroups } from '../groups/consumer-groups.js';
import type { Log } from '../storage/log.js';
import {
  FETCH_CHANNEL,
  PRODUCE_CHANNEL,
  REQUEST_CHANNEL,
  type FetchMessage,
  type ProduceMessage,
  type RequestMessage,
} from '../core/channels.js';

/**
 * A broker's numbers as Prometheus metrics, kept by prom-client in a registry of their own (never
 * prom-client's global one, so several brokers in one process do not mix).
 *
 * - Traffic comes from the diagnostics channels (channels.ts): records and bytes in and out per
 *   topic, request latency per API. Nothing is counted before `create()` subscribes, and after
 *   `close()` the channels have no subscriber left from this instance (the engine goes back to
 *   skipping the publish code).
 * - State is read when scraped, not tracked: log size, segment count and end offset per
 *   partition, consumer group lag (high watermark − committed offset, per committed partition),
 *   worker pool queue depth and utilisation. A scrape walks every partition once.
 *
 * prom-client is loaded by `create()` (dynamic import), so a process that never asks for metrics
 * never loads it.
 */
export interface BrookMetricsOptions {
  /** Consumer groups whose committed offsets give `brook_consumer_group_lag`; none: no lag series. */
  readonly groups?: ConsumerGroups;
  /** Also export prom-client's process metrics (CPU, memory, event loop lag, GC). Default false. */
  readonly processMetrics?: boolean;
}

/** Request latency buckets in seconds, from 0.1 ms to 10 s (a Fetch long poll lands in the top ones). */
export const REQUEST_DURATION_BUCKETS_SECONDS: ReadonlyArray<number> = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

type PromClient = typeof import('prom-client');
type TopicLabel = 'topic';
type PartitionLabels = 'topic' | 'partition';

interface Traffic {
  readonly recordsIn: Counter<TopicLabel>;
  readonly bytesIn: Counter<TopicLabel>;
  readonly recordsOut: Counter<TopicLabel>;
  readonly bytesOut: Counter<TopicLabel>;
  readonly requestSeconds: Histogram<'api'>;
}

export class BrookMetrics {
  readonly registry: Registry;
  readonly #broker: Broker;
  readonly #groups: ConsumerGroups | null;
  readonly #traffic: Traffic;
  readonly #onProduce: (message: unknown) => void;
  readonly #onFetch: (message: unknown) => void;
  readonly #onRequest: (message: unknown) => void;
  #closed = false;

  private constructor(prom: PromClient, broker: Broker, options: BrookMetricsOptions) {
    this.#broker = broker;
    this.#groups = options.groups ?? null;
    const registry = new prom.Registry();
    this.registry = registry;
    this.#traffic = trafficMetrics(prom, registry);
    this.#registerLogGauges(prom, registry);
    this.#registerGroupGauge(prom, registry);
    this.#registerPoolGauges(prom, registry);
    if (options.processMetrics === true) prom.collectDefaultMetrics({ register: registry });
    const traffic = this.#traffic;
    // The channels are process-wide: count only this broker's traffic.
    this.#onProduce = (message) => {
      const { broker: source, topic, records, bytes } = message as ProduceMessage;
      if (source !== broker) return;
      traffic.recordsIn.inc({ topic }, records);
      traffic.bytesIn.inc({ topic }, bytes);
    };
    this.#onFetch = (message) => {
      const { broker: source, topic, records, bytes } = message as FetchMessage;
      if (source !== broker) return;
      traffic.recordsOut.inc({ topic }, records);
      traffic.bytesOut.inc({ topic }, bytes);
    };
    this.#onRequest = (message) => {
      const { broker: source, apiName, durationMs } = message as RequestMessage;
      if (source !== broker) return;
      traffic.requestSeconds.observe({ api: apiName }, durationMs / 1000);
    };
    subscribe(PRODUCE_CHANNEL, this.#onProduce);
    subscribe(FETCH_CHANNEL, this.#onFetch);
    subscribe(REQUEST_CHANNEL, this.#onRequest);
  }

  /** Start counting this broker's traffic (loads prom-client on first use). */
  static async create(broker: Broker, options: BrookMetricsOptions = {}): Promise<BrookMetrics> {
    const prom = await import('prom-client');
    return new BrookMetrics(prom, broker, options);
  }

  /** The Content-Type of `metrics()`: Prometheus text format 0.0.4. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric in the Prometheus text exposition format. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** The same numbers as objects (prom-client's JSON form), for embedded users. */
  json(): Promise<Array<MetricObjectWithValues<MetricValue<string>>>> {
    return this.registry.getMetricsAsJSON();
  }

  /** Stop counting: unsubscribe from the channels. Scraping still answers with the last counts. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    unsubscribe(PRODUCE_CHANNEL, this.#onProduce);
    unsubscribe(FETCH_CHANNEL, this.#onFetch);
    unsubscribe(REQUEST_CHANNEL, this.#onRequest);
  }

  /** Partitions of every topic, or none once the broker is closed. */
  #partitions(): Array<{ topic: string; partition: number }> {
    let topics: string[];
    try {
      topics = this.#broker.listTopics();
    } catch {
      return [];
    }
    const partitions: Array<{ topic: string; partition: number }> = [];
    for (const topic of topics) {
      const count = this.#broker.partitionCount(topic);
      for (let partition = 0; partition < count; partition++) partitions.push({ topic, partition });
    }
    return partitions;
  }

  /** One gauge per log property, each read from every partition when scraped. */
  #registerLogGauges(prom: PromClient, registry: Registry): void {
    const gauge = (name: string, help: string, read: (log: Log) => number): void => {
      const partitions = (): Array<{ topic: string; partition: number }> => this.#partitions();
      const broker = this.#broker;
      const metric: Gauge<PartitionLabels> = new prom.Gauge<PartitionLabels>({
        name,
        help,
        labelNames: ['topic', 'partition'],
        registers: [registry],
        collect() {
          metric.reset();
          for (const { topic, partition } of partitions()) {
            metric.set({ topic, partition: String(partition) }, read(broker.log(topic, partition)));
          }
        },
      });
    };
    gauge('brook_log_size_bytes', 'Bytes in the partition log (all segments).', (log) => log.sizeBytes);
    gauge('brook_log_segments', 'Segment files in the partition log.', (log) => log.segmentCount);
    gauge('brook_log_end_offset', 'Offset the next record appended to the partition will get.', (log) => log.logEndOffset);
    gauge('brook_log_start_offset', 'First offset still in the partition log (moves with retention).', (log) => log.logStartOffset);
  }

  #registerGroupGauge(prom: PromClient, registry: Registry): void {
    const broker = this.#broker;
    const groups = this.#groups;
    if (groups === null) return;
    const lag = new prom.Gauge<'group' | PartitionLabels>({
      name: 'brook_consumer_group_lag',
      help: "Records a consumer group has yet to commit: the partition's high watermark minus the group's committed offset.",
      labelNames: ['group', 'topic', 'partition'],
      registers: [registry],
      collect() {
        lag.reset();
        for (const group of groups.offsets.groups()) {
          for (const committed of groups.offsets.fetch(group)) {
            const { topic, partition, offset } = committed;
            if (offset < 0 || !broker.hasTopic(topic) || partition >= broker.partitionCount(topic)) continue;
            const highWatermark = broker.log(topic, partition).highWatermark;
            lag.set({ group, topic, partition: String(partition) }, Math.max(0, highWatermark - offset));
          }
        }
      },
    });
  }

  #registerPoolGauges(prom: PromClient, registry: Registry): void {
    const broker = this.#broker;
    const queueDepth = new prom.Gauge({
      name: 'brook_worker_pool_queue_depth',
      help: 'Tasks waiting for a worker thread (0 without a pool).',
      registers: [registry],
      collect() {
        queueDepth.set(broker.pool?.queueDepth ?? 0);
      },
    });
    const inFlight = new prom.Gauge({
      name: 'brook_worker_pool_tasks_in_flight',
      help: 'Tasks handed to the worker pool and not yet settled, queued or running (0 without a pool).',
      registers: [registry],
      collect() {
        inFlight.set(broker.pool?.stats.inFlight ?? 0);
      },
    });
    const utilization = new prom.Gauge({
      name: 'brook_worker_pool_utilization',
      help: 'Share of the worker threads\u2019 capacity spent running tasks, in [0, 1] (0 without a pool).',
      registers: [registry],
      collect() {
        utilization.set(broker.pool?.utilization ?? 0);
      },
    });
  }
}

function trafficMetrics(prom: PromClient, registry: Registry): Traffic {
  const counter = (name: string, help: string): Counter<TopicLabel> =>
    new prom.Counter<TopicLabel>({ name, help, labelNames: ['topic'], registers: [registry] });
  return {
    recordsIn: counter('brook_records_in_total', 'Records appended, per topic.'),
    bytesIn: counter('brook_bytes_in_total', 'Record batch bytes appended, per topic.'),
    recordsOut: counter('brook_records_out_total', 'Records sent to consumers, per topic (counted from batch headers on the wire).'),
    bytesOut: counter('brook_bytes_out_total', 'Record batch bytes sent to consumers, per topic.'),
    requestSeconds: new prom.Histogram<'api'>({
      name: 'brook_request_duration_seconds',
      help: 'Time from decoding a Kafka request to writing its response, per API (Fetch includes its long poll).',
      labelNames: ['api'],
      buckets: [...REQUEST_DURATION_BUCKETS_SECONDS],
      registers: [registry],
    }),
  };
}
