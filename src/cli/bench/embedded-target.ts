import { Broker } from '../../broker/broker.js';
import type { Consumer } from '../../broker/consumer.js';
import type { Producer, ProducerMessage } from '../../broker/producer.js';
import { batchBytesFor, type BenchConfig } from './bench-options.js';
import type { BenchConsumer, BenchProducer, BenchTarget } from './target.js';

/**
 * The embedded broker as a bench target: Brook's own producer (batch.size, linger.ms,
 * compression, acks; keyless records on the sticky partitioner, so a batch fills one partition
 * before the next) and consumer (Kafka's fetch defaults, a 100 ms long poll).
 */
export class EmbeddedTarget implements BenchTarget {
  readonly description = 'embedded';
  readonly broker: Broker;

  constructor(broker: Broker) {
    this.broker = broker;
  }

  static async open(config: BenchConfig, dataDir: string): Promise<EmbeddedTarget> {
    const broker = await Broker.open({ dataDir, workers: config.workers, durability: config.durability });
    return new EmbeddedTarget(broker);
  }

  createTopic(topic: string, partitions: number, config: Readonly<Record<string, string>>): Promise<void> {
    return this.broker.createTopic(topic, { partitions, config });
  }

  deleteTopic(topic: string): Promise<void> {
    return this.broker.deleteTopic(topic);
  }

  producer(topic: string, config: BenchConfig): BenchProducer {
    const producer = this.broker.producer({
      acks: config.acks,
      'batch.size': batchBytesFor(config),
      'linger.ms': config.lingerMs,
      'compression.type': config.compression,
      partitioner: 'sticky',
    });
    return new EmbeddedProducer(producer, topic);
  }

  async consumer(topic: string, partitions: number, from: 'earliest' | 'latest'): Promise<BenchConsumer> {
    const consumer = this.broker.consumer({ 'auto.offset.reset': from, 'fetch.max.wait.ms': 100 });
    const assignment = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
    consumer.assign(assignment);
    // Positions now, not at the first poll: records produced from here on are the ones measured.
    for (const { partition } of assignment) {
      const log = this.broker.log(topic, partition);
      consumer.seek(topic, partition, from === 'earliest' ? log.logStartOffset : log.highWatermark);
    }
    return new EmbeddedConsumer(consumer);
  }

  close(): Promise<void> {
    return this.broker.close();
  }
}

class EmbeddedProducer implements BenchProducer {
  readonly #producer: Producer;
  readonly #topic: string;
  /** Message objects built once per values array the generator passes (it reuses its arrays). */
  readonly #messages = new WeakMap<ReadonlyArray<Buffer>, ProducerMessage[]>();

  constructor(producer: Producer, topic: string) {
    this.#producer = producer;
    this.#topic = topic;
  }

  async send(values: ReadonlyArray<Buffer>): Promise<void> {
    let messages = this.#messages.get(values);
    if (messages === undefined) {
      messages = values.map((value) => ({ value }));
      this.#messages.set(values, messages);
    }
    await this.#producer.send({ topic: this.#topic, messages });
  }

  flush(): Promise<void> {
    return this.#producer.flush();
  }
}

class EmbeddedConsumer implements BenchConsumer {
  readonly #consumer: Consumer;
  #valueBytes = 0;

  constructor(consumer: Consumer) {
    this.#consumer = consumer;
  }

  get valueBytes(): number {
    return this.#valueBytes;
  }

  async poll(visit: ((value: Uint8Array | null) => void) | null): Promise<number> {
    let count = 0;
    let bytes = 0;
    for (const batch of await this.#consumer.poll()) {
      const records = batch.records;
      count += records.length;
      for (let index = 0; index < records.length; index++) {
        const value = records[index]!.value;
        bytes += value === null ? 0 : value.length;
        if (visit !== null) visit(value);
      }
    }
    this.#valueBytes += bytes;
    return count;
  }

  close(): Promise<void> {
    return this.#consumer.close();
  }
}
