import { Buffer } from 'node:buffer';
import { afterEach, describe, expect, test } from 'vitest';
import { Broker, type BrokerOptions } from '../../../src/broker/broker.js';
import { systemClock } from '../../../src/core/clock.js';
import { ConsumerGroups } from '../../../src/groups/consumer-groups.js';
import { API_KEYS } from '../../../src/protocol/api-table.js';
import type { Decoded, Encodable } from '../../../src/protocol/schema/schema-types.js';
import { LOG_CONFIG_KEYS } from '../../../src/storage/config.js';
import { registerAdminHandlers } from '../../../src/server/handlers/admin.js';
import { HandlerRegistry } from '../../../src/server/handlers/registry.js';
import type { ServerState } from '../../../src/server/request-context.js';
import { resolveServerConfig } from '../../../src/server/server-config.js';
import { handlerCaller, type HandlerCall } from '../../helpers/handler-call.js';

/**
 * The admin handlers (CreateTopics, DeleteTopics, CreatePartitions, DescribeConfigs) against a
 * real broker. Every request is encoded and decoded at its version before it reaches the handler,
 * and every response is encoded and decoded again at the same version, so a field with the wrong
 * type or nullability for that version fails the test.
 */
let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

const CREATE = ['CreateTopicsRequest', 'CreateTopicsResponse'] as const;
const DELETE = ['DeleteTopicsRequest', 'DeleteTopicsResponse'] as const;
const PARTITIONS = ['CreatePartitionsRequest', 'CreatePartitionsResponse'] as const;
const DESCRIBE = ['DescribeConfigsRequest', 'DescribeConfigsResponse'] as const;

const SOURCE_TOPIC = 1;
const SOURCE_STATIC_BROKER = 4;
const SOURCE_DEFAULT = 5;

interface Harness {
  readonly broker: Broker;
  readonly call: HandlerCall;
}

async function setup(options: BrokerOptions = {}): Promise<Harness> {
  const broker = await Broker.open({ scheduleTasks: false, ...options });
  const groups = await ConsumerGroups.open(broker, { 'offsets.retention.check.interval.ms': 0 });
  cleanups.push(async () => {
    groups.close();
    await broker.close();
  });
  const state: ServerState = {
    broker,
    groups,
    config: resolveServerConfig({}),
    clock: systemClock,
    shutdown: { aborted: false, waiters: new Set() },
  };
  const registry = new HandlerRegistry();
  registerAdminHandlers(registry);

  const call = handlerCaller(state, registry);


  return { broker, call };
}

type TopicSpec = NonNullable<Encodable<'CreateTopicsRequest'>['topics']>[number];

function topic(name: string, extra: Partial<TopicSpec> = {}): TopicSpec {
  return { name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [], ...extra };
}

function createTopics(harness: Harness, version: number, topics: TopicSpec[], validateOnly = false): Promise<Decoded<'CreateTopicsResponse'>> {
  return harness.call(API_KEYS.CreateTopics, version, CREATE, { topics, timeoutMs: 30_000, validateOnly });
}

function uuidBytes(id: string): Buffer {
  return Buffer.from(id.replaceAll('-', ''), 'hex');
}

describe('CreateTopics', () => {
  test('v3 with -1 counts creates the topic with the broker defaults and the given configs', async () => {
    const harness = await setup({ config: { 'num.partitions': 3 } });
    const response = await createTopics(harness, 3, [topic('orders', { configs: [{ name: 'retention.ms', value: '3600000' }] })]);
    expect(response.throttleTimeMs).toBe(0);
    expect(response.topics).toEqual([expect.objectContaining({ name: 'orders', errorCode: 0, errorMessage: null })]);
    expect(harness.broker.partitionCount('orders')).toBe(3);
    expect(harness.broker.describeTopic('orders').config.find((entry) => entry.name === 'retention.ms')).toEqual({
      name: 'retention.ms',
      value: 3_600_000,
      source: 'TOPIC_CONFIG',
    });
  });

  test('v4 creates a topic with an explicit partition count and replication factor 1', async () => {
    const harness = await setup();
    const response = await createTopics(harness, 4, [topic('payments', { numPartitions: 4, replicationFactor: 1 })]);
    expect(response.topics[0]).toMatchObject({ name: 'payments', errorCode: 0, errorMessage: null });
    expect(harness.broker.partitionCount('payments')).toBe(4);
  });

  test('v7 reports topic id, partition count, replication factor and every config with its source', async () => {
    const harness = await setup({ config: { 'num.partitions': 2, 'retention.ms': 60_000 } });
    const response = await createTopics(harness, 7, [topic('events', { configs: [{ name: 'cleanup.policy', value: 'compact' }] })]);
    const result = response.topics[0]!;
    expect(result).toMatchObject({ name: 'events', errorCode: 0, errorMessage: null, numPartitions: 2, replicationFactor: 1 });
    expect(result.topicId).toEqual(uuidBytes(harness.broker.describeTopic('events').topicId));
    expect(result.configs!.map((entry) => entry.name)).toEqual(LOG_CONFIG_KEYS);
    const byName = new Map(result.configs!.map((entry) => [entry.name, entry]));
    expect(byName.get('cleanup.policy')).toEqual({ name: 'cleanup.policy', value: 'compact', readOnly: false, configSource: SOURCE_TOPIC, isSensitive: false });
    expect(byName.get('retention.ms')).toMatchObject({ value: '60000', configSource: SOURCE_STATIC_BROKER });
    expect(byName.get('segment.bytes')).toMatchObject({ value: '1073741824', configSource: SOURCE_DEFAULT });
    expect(byName.get('flush.ms')).toMatchObject({ value: '9223372036854775807', configSource: SOURCE_DEFAULT });
  });

  test('an existing topic is refused with TOPIC_ALREADY_EXISTS at v3 and v7', async () => {
    const harness = await setup();
    await harness.broker.createTopic('orders', { partitions: 2 });
    const v3 = await createTopics(harness, 3, [topic('orders')]);
    expect(v3.topics[0]).toMatchObject({ name: 'orders', errorCode: 36 });
    expect(v3.topics[0]!.errorMessage).toContain('already exists');
    const v7 = await createTopics(harness, 7, [topic('orders', { numPartitions: 5 })]);
    expect(v7.topics[0]).toMatchObject({ name: 'orders', errorCode: 36, numPartitions: -1, replicationFactor: -1, configs: [] });
    expect(harness.broker.partitionCount('orders')).toBe(2);
  });

  test('invalid and colliding names are refused with INVALID_TOPIC_EXCEPTION', async () => {
    const harness = await setup();
    await harness.broker.createTopic('audit.log');
    const response = await createTopics(harness, 4, [topic('bad/name'), topic(''), topic('x'.repeat(250)), topic('audit_log')]);
    expect(response.topics.map((result) => result.errorCode)).toEqual([17, 17, 17, 17]);
    expect(response.topics[3]!.errorMessage).toContain('collides');
    expect(harness.broker.listTopics()).not.toContain('audit_log');
  });

  test('unknown config keys, bad values and null values are refused with INVALID_CONFIG and nothing is created', async () => {
    const harness = await setup();
    const response = await createTopics(harness, 4, [
      topic('a', { configs: [{ name: 'no.such.setting', value: '1' }] }),
      topic('b', { configs: [{ name: 'retention.ms', value: 'soon' }] }),
      topic('c', { configs: [{ name: 'cleanup.policy', value: null }] }),
    ]);
    expect(response.topics.map((result) => [result.name, result.errorCode])).toEqual([
      ['a', 40],
      ['b', 40],
      ['c', 40],
    ]);
    expect(response.topics[0]!.errorMessage).toContain('no.such.setting');
    expect(response.topics[1]!.errorMessage).toContain('retention.ms');
    expect(harness.broker.listTopics().filter((name) => !name.startsWith('__'))).toEqual([]);
  });

  test('replication factors other than 1 or -1 are refused with INVALID_REPLICATION_FACTOR', async () => {
    const harness = await setup();
    const response = await createTopics(harness, 4, [
      topic('rf2', { numPartitions: 1, replicationFactor: 2 }),
      topic('rf0', { numPartitions: 1, replicationFactor: 0 }),
    ]);
    expect(response.topics.map((result) => result.errorCode)).toEqual([38, 38]);
    expect(response.topics[0]!.errorMessage).toContain('larger than the 1 broker');
    expect(harness.broker.hasTopic('rf2')).toBe(false);
  });

  test('partition counts below 1 other than -1 are refused with INVALID_PARTITIONS', async () => {
    const harness = await setup();
    const response = await createTopics(harness, 4, [topic('zero', { numPartitions: 0 }), topic('negative', { numPartitions: -5 })]);
    expect(response.topics.map((result) => result.errorCode)).toEqual([37, 37]);
    expect(harness.broker.hasTopic('zero')).toBe(false);
  });

  test('validateOnly checks everything but creates nothing', async () => {
    const harness = await setup();
    await harness.broker.createTopic('orders');
    const response = await createTopics(
      harness,
      7,
      [
        topic('fresh', { numPartitions: 3, configs: [{ name: 'retention.ms', value: '1000' }] }),
        topic('orders'),
        topic('bad', { replicationFactor: 3 }),
      ],
      true,
    );
    expect(response.topics.map((result) => [result.name, result.errorCode])).toEqual([
      ['fresh', 0],
      ['orders', 36],
      ['bad', 38],
    ]);
    expect(response.topics[0]).toMatchObject({ numPartitions: 3, replicationFactor: 1 });
    expect(response.topics[0]!.configs).toEqual([{ name: 'retention.ms', value: '1000', readOnly: false, configSource: SOURCE_TOPIC, isSensitive: false }]);
    expect(harness.broker.hasTopic('fresh')).toBe(false);
  });

  test('a topic named twice in one request is refused once with INVALID_REQUEST', async () => {
    const harness = await setup();
    const response = await createTopics(harness, 4, [topic('twice'), topic('twice'), topic('once')]);
    expect(response.topics.map((result) => [result.name, result.errorCode])).toEqual([
      ['twice', 42],
      ['once', 0],
    ]);
    expect(harness.broker.hasTopic('twice')).toBe(false);
  });

  test('manual assignments are accepted when every partition is on this node and refused otherwise', async () => {
    const harness = await setup();
    const nodeId = resolveServerConfig({}).nodeId;
    const response = await createTopics(harness, 4, [
      topic('placed', {
        assignments: [
          { partitionIndex: 1, brokerIds: [nodeId] },
          { partitionIndex: 0, brokerIds: [nodeId] },
        ],
      }),
      topic('elsewhere', { assignments: [{ partitionIndex: 0, brokerIds: [nodeId + 1] }] }),
      topic('gap', { assignments: [{ partitionIndex: 1, brokerIds: [nodeId] }] }),
      topic('both', { numPartitions: 1, assignments: [{ partitionIndex: 0, brokerIds: [nodeId] }] }),
    ]);
    expect(response.topics.map((result) => [result.name, result.errorCode])).toEqual([
      ['placed', 0],
      ['elsewhere', 39],
      ['gap', 39],
      ['both', 42],
    ]);
    expect(harness.broker.partitionCount('placed')).toBe(2);
  });

  test('concurrent creates of one topic give one success and one TOPIC_ALREADY_EXISTS', async () => {
    const harness = await setup();
    const [first, second] = await Promise.all([createTopics(harness, 4, [topic('race')]), createTopics(harness, 4, [topic('race')])]);
    expect([first.topics[0]!.errorCode, second.topics[0]!.errorCode].sort()).toEqual([0, 36]);
  });
});

describe('DeleteTopics', () => {
  test('v1 deletes by name and answers UNKNOWN_TOPIC_OR_PARTITION for a missing topic', async () => {
    const harness = await setup();
    await harness.broker.createTopic('orders');
    const response = await harness.call(API_KEYS.DeleteTopics, 1, DELETE, { topicNames: ['orders', 'missing'], timeoutMs: 30_000 });
    expect(response.throttleTimeMs).toBe(0);
    expect(response.responses.map((result) => [result.name, result.errorCode])).toEqual([
      ['orders', 0],
      ['missing', 3],
    ]);
    expect(harness.broker.hasTopic('orders')).toBe(false);
  });

  test('v3 deletes several topics', async () => {
    const harness = await setup();
    await harness.broker.createTopic('a');
    await harness.broker.createTopic('b', { partitions: 2 });
    const response = await harness.call(API_KEYS.DeleteTopics, 3, DELETE, { topicNames: ['a', 'b'], timeoutMs: 30_000 });
    expect(response).toEqual({
      throttleTimeMs: 0,
      responses: [expect.objectContaining({ name: 'a', errorCode: 0 }), expect.objectContaining({ name: 'b', errorCode: 0 })],
    });
    expect(harness.broker.listTopics().filter((name) => !name.startsWith('__'))).toEqual([]);
  });

  test('v6 deletes by name or id, returning the topic id, and reports unknown names and ids', async () => {
    const harness = await setup();
    await harness.broker.createTopic('by-name');
    await harness.broker.createTopic('by-id');
    const nameId = uuidBytes(harness.broker.describeTopic('by-name').topicId);
    const id = uuidBytes(harness.broker.describeTopic('by-id').topicId);
    const unknownId = Buffer.alloc(16, 7);
    const response = await harness.call(API_KEYS.DeleteTopics, 6, DELETE, {
      topics: [
        { name: 'by-name', topicId: Buffer.alloc(16) },
        { name: null, topicId: id },
        { name: 'missing', topicId: Buffer.alloc(16) },
        { name: null, topicId: unknownId },
      ],
      timeoutMs: 30_000,
    });
    expect(response.throttleTimeMs).toBe(0);
    expect(response.responses).toEqual([
      { name: 'by-name', topicId: nameId, errorCode: 0, errorMessage: null },
      { name: 'by-id', topicId: id, errorCode: 0, errorMessage: null },
      expect.objectContaining({ name: 'missing', errorCode: 3 }),
      expect.objectContaining({ name: null, topicId: unknownId, errorCode: 100 }),
    ]);
    expect(harness.broker.hasTopic('by-name')).toBe(false);
    expect(harness.broker.hasTopic('by-id')).toBe(false);
  });

  test('the consumer offsets topic cannot be deleted', async () => {
    const harness = await setup();
    const response = await harness.call(API_KEYS.DeleteTopics, 3, DELETE, { topicNames: ['__consumer_offsets'], timeoutMs: 30_000 });
    expect(response.responses[0]).toMatchObject({ name: '__consumer_offsets', errorCode: 42 });
    expect(harness.broker.hasTopic('__consumer_offsets')).toBe(true);
  });
});

describe('CreatePartitions', () => {
  test('raising the count adds partitions', async () => {
    const harness = await setup();
    await harness.broker.createTopic('orders', { partitions: 1 });
    const response = await harness.call(API_KEYS.CreatePartitions, 1, PARTITIONS, {
      topics: [{ name: 'orders', count: 3, assignments: null }],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    expect(response).toEqual({ throttleTimeMs: 0, results: [{ name: 'orders', errorCode: 0, errorMessage: null }] });
    expect(harness.broker.partitionCount('orders')).toBe(3);
  });

  test('an equal or smaller count is refused with INVALID_PARTITIONS and a message, an unknown topic with 3', async () => {
    const harness = await setup();
    await harness.broker.createTopic('orders', { partitions: 3 });
    await harness.broker.createTopic('audit', { partitions: 3 });
    const response = await harness.call(API_KEYS.CreatePartitions, 0, PARTITIONS, {
      topics: [
        { name: 'orders', count: 2, assignments: null },
        { name: 'audit', count: 3, assignments: null },
        { name: 'missing', count: 5, assignments: null },
      ],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    expect(response.results.map((result) => [result.name, result.errorCode])).toEqual([
      ['orders', 37],
      ['audit', 37],
      ['missing', 3],
    ]);
    expect(response.results[0]!.errorMessage).toContain('never removed');
    expect(response.results[1]!.errorMessage).toContain('already has 3 partitions');
    expect(harness.broker.partitionCount('orders')).toBe(3);
  });

  test('validateOnly checks the new count without adding partitions', async () => {
    const harness = await setup();
    await harness.broker.createTopic('orders', { partitions: 1 });
    const response = await harness.call(API_KEYS.CreatePartitions, 1, PARTITIONS, {
      topics: [{ name: 'orders', count: 4, assignments: null }],
      timeoutMs: 30_000,
      validateOnly: true,
    });
    expect(response.results[0]).toEqual({ name: 'orders', errorCode: 0, errorMessage: null });
    expect(harness.broker.partitionCount('orders')).toBe(1);
  });

  test('assignments must place each new partition on this node', async () => {
    const harness = await setup();
    const nodeId = resolveServerConfig({}).nodeId;
    await harness.broker.createTopic('a', { partitions: 1 });
    await harness.broker.createTopic('b', { partitions: 1 });
    const response = await harness.call(API_KEYS.CreatePartitions, 1, PARTITIONS, {
      topics: [
        { name: 'a', count: 2, assignments: [{ brokerIds: [nodeId] }] },
        { name: 'b', count: 3, assignments: [{ brokerIds: [nodeId] }] },
      ],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    expect(response.results.map((result) => [result.name, result.errorCode])).toEqual([
      ['a', 0],
      ['b', 39],
    ]);
    expect(harness.broker.partitionCount('a')).toBe(2);
    expect(harness.broker.partitionCount('b')).toBe(1);
  });
});

describe('DescribeConfigs', () => {
  test('v1 returns every topic config with its source after an override', async () => {
    const harness = await setup({ config: { 'segment.bytes': 1_048_576 } });
    await harness.broker.createTopic('orders');
    harness.broker.alterTopicConfig('orders', { 'retention.ms': 3_600_000 });
    const response = await harness.call(API_KEYS.DescribeConfigs, 1, DESCRIBE, {
      resources: [{ resourceType: 2, resourceName: 'orders', configurationKeys: null }],
      includeSynonyms: false,
    });
    expect(response.throttleTimeMs).toBe(0);
    const result = response.results[0]!;
    expect(result).toMatchObject({ errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 'orders' });
    expect(result.configs.map((entry) => entry.name)).toEqual(LOG_CONFIG_KEYS);
    const byName = new Map(result.configs.map((entry) => [entry.name, entry]));
    expect(byName.get('retention.ms')).toMatchObject({ value: '3600000', configSource: SOURCE_TOPIC, readOnly: false, isSensitive: false, synonyms: [] });
    expect(byName.get('segment.bytes')).toMatchObject({ value: '1048576', configSource: SOURCE_STATIC_BROKER });
    expect(byName.get('cleanup.policy')).toMatchObject({ value: 'delete', configSource: SOURCE_DEFAULT });
    expect(byName.get('min.cleanable.dirty.ratio')).toMatchObject({ value: '0.5', configSource: SOURCE_DEFAULT });
    expect(result.configs.every((entry) => entry.value !== null && entry.value !== '')).toBe(true);
  });

  test('v2 with includeSynonyms lists the source chain and configurationKeys filters', async () => {
    const harness = await setup();
    await harness.broker.createTopic('orders', { config: { 'cleanup.policy': 'compact,delete' } });
    const response = await harness.call(API_KEYS.DescribeConfigs, 2, DESCRIBE, {
      resources: [{ resourceType: 2, resourceName: 'orders', configurationKeys: ['cleanup.policy', 'retention.ms', 'no.such.key'] }],
      includeSynonyms: true,
    });
    // In the broker's key order (segment.*, retention.*, …, cleanup.policy, …), not the request's.
    expect(response.results[0]!.configs).toEqual([
      expect.objectContaining({
        name: 'retention.ms',
        value: '604800000',
        readOnly: false,
        configSource: SOURCE_DEFAULT,
        isSensitive: false,
        synonyms: [{ name: 'retention.ms', value: '604800000', source: SOURCE_DEFAULT }],
      }),
      expect.objectContaining({
        name: 'cleanup.policy',
        value: 'compact,delete',
        readOnly: false,
        configSource: SOURCE_TOPIC,
        isSensitive: false,
        synonyms: [
          { name: 'cleanup.policy', value: 'compact,delete', source: SOURCE_TOPIC },
          { name: 'cleanup.policy', value: 'delete', source: SOURCE_DEFAULT },
        ],
      }),
    ]);
  });

  test('v0 flags Kafka defaults with isDefault', async () => {
    const harness = await setup();
    await harness.broker.createTopic('orders', { config: { 'retention.ms': 1000 } });
    const response = await harness.call(API_KEYS.DescribeConfigs, 0, DESCRIBE, {
      resources: [{ resourceType: 2, resourceName: 'orders', configurationKeys: ['retention.ms', 'segment.bytes'] }],
    });
    expect(response.results[0]!.configs.map((entry) => [entry.name, entry.value, entry.isDefault])).toEqual([
      ['segment.bytes', '1073741824', true],
      ['retention.ms', '1000', false],
    ]);
  });

  test('unknown topics, bad names, other brokers and other resource types get per-resource errors', async () => {
    const harness = await setup();
    const response = await harness.call(API_KEYS.DescribeConfigs, 2, DESCRIBE, {
      resources: [
        { resourceType: 2, resourceName: 'missing', configurationKeys: null },
        { resourceType: 2, resourceName: 'bad/name', configurationKeys: null },
        { resourceType: 4, resourceName: '99', configurationKeys: null },
        { resourceType: 8, resourceName: '1', configurationKeys: null },
      ],
      includeSynonyms: false,
    });
    expect(response.results.map((result) => [result.resourceName, result.errorCode, result.configs.length])).toEqual([
      ['missing', 3, 0],
      ['bad/name', 17, 0],
      ['99', 42, 0],
      ['1', 42, 0],
    ]);
    expect(response.results.every((result) => result.errorMessage !== null)).toBe(true);
  });

  test('the broker resource lists the server settings with their sources', async () => {
    const harness = await setup();
    const nodeId = String(resolveServerConfig({}).nodeId);
    const response = await harness.call(API_KEYS.DescribeConfigs, 2, DESCRIBE, {
      resources: [{ resourceType: 4, resourceName: nodeId, configurationKeys: null }],
      includeSynonyms: false,
    });
    const result = response.results[0]!;
    expect(result).toMatchObject({ errorCode: 0, resourceType: 4, resourceName: nodeId });
    const byName = new Map(result.configs.map((entry) => [entry.name, entry]));
    expect(byName.get('node.id')).toMatchObject({ value: nodeId, configSource: SOURCE_STATIC_BROKER, readOnly: true });
    expect(byName.get('auto.create.topics.enable')).toMatchObject({ value: 'true', configSource: SOURCE_DEFAULT });
    expect(byName.get('socket.request.max.bytes')).toMatchObject({ value: '104857600', configSource: SOURCE_DEFAULT });
  });
});
