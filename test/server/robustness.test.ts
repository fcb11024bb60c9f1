import { Buffer } from 'node:buffer';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { connect, type Socket } from 'node:net';
import { describe, expect, test } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { ConsumerGroups } from '../../src/groups/consumer-groups.js';
import { API_KEYS } from '../../src/protocol/api-table.js';
import { encodeRecordBatch } from '../../src/records/record-batch.js';
import { CRC_OFFSET, RECORDS_OFFSET } from '../../src/records/batch-layout.js';
import { KAFKA } from '../../src/server/kafka-errors.js';
import { CONNECTION_CLOSED_CHANNEL, type BrokerServer, type ListenOptions } from '../../src/server/server.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { sleep, within } from '../helpers/wait.js';
import { encodeBody, encodeRequest, encodeRequestHeader, frame, WireClient } from '../helpers/wire-client.js';
import { API_VERSIONS, FETCH, fetchBody, LIST_OFFSETS, METADATA, PRODUCE } from '../helpers/wire-requests.js';

/**
 * The server against hostile and unusual byte streams, over real sockets: every bad frame gets its
 * Kafka error code or closes its own connection, and every other connection keeps being served.
 */
const TOPIC = 'orders';

interface Served {
  readonly broker: Broker;
  readonly server: BrokerServer;
  /** Reasons of the connections this server closed, in order. */
  readonly closeReasons: string[];
  connect(): Promise<WireClient>;
}

const cleanups = cleanupsAfterEach();

async function serve(options: ListenOptions = {}): Promise<Served> {
  const directory = makeTempDir('brook-robustness-');
  cleanups.push(() => directory.remove());
  const broker = await Broker.open({ dataDir: directory.path, scheduleTasks: false });
  await broker.createTopic(TOPIC, { partitions: 1 });
  const groups = await ConsumerGroups.shared(broker, { coordinator: { 'group.initial.rebalance.delay.ms': 0 } });
  const server = await broker.listen({ port: 0, 'auto.create.topics.enable': false, ...options, groups });
  const closeReasons: string[] = [];
  const onClosed = (message: unknown): void => {
    closeReasons.push((message as { reason: string }).reason);
  };
  subscribe(CONNECTION_CLOSED_CHANNEL, onClosed);
  const clients: WireClient[] = [];
  cleanups.push(async () => {
    for (const client of clients) client.socket.destroy();
    await server.close();
    groups.close();
    await broker.close();
    unsubscribe(CONNECTION_CLOSED_CHANNEL, onClosed);
  });
  return {
    broker,
    server,
    closeReasons,
    connect: async () => {
      const client = await WireClient.connect(server.port);
      clients.push(client);
      return client;
    },
  };
}

/** The high watermark of the test topic's only partition. */
function endOffset(served: Served): number {
  return served.broker.log(TOPIC, 0).logEndOffset;
}

function batch(values: ReadonlyArray<string>): Buffer {
  return encodeRecordBatch(values.map((value) => ({ key: null, value })));
}

/** A ProduceRequest v7 with one partition of `records`. */
function produceBody(records: Buffer, acks = 1, topic = TOPIC) {
  return { acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] };
}

async function apiVersionsWorks(client: WireClient): Promise<void> {
  const response = await client.request(API_KEYS.ApiVersions, 3, API_VERSIONS, { clientSoftwareName: 'robustness', clientSoftwareVersion: '1' });
  expect(response.errorCode).toBe(KAFKA.NONE);
}

/** Resolves true when the client's connection closes within `ms`, false otherwise. */
function closesWithin(client: WireClient, ms: number): Promise<boolean> {
  return within(client.closed, ms, 'the connection to close').then(
    () => true,
    () => false,
  );
}

/**
 * Writes the requests (each built for a fresh correlation id) in one write, so the server sees
 * them all at once; resolves with their correlation ids, in request order, once all are answered.
 */
async function pipelined(client: WireClient, requests: ReadonlyArray<(correlationId: number) => Buffer>): Promise<number[]> {
  const ids = requests.map(() => client.nextCorrelationId());
  const answers = ids.map((id) => client.expect(id));
  client.write(Buffer.concat(requests.map((request, index) => request(ids[index]!))));
  await Promise.all(answers);
  return ids;
}

function rawHeaderFrame(apiKey: number, apiVersion: number, correlationId: number, body: Buffer = Buffer.alloc(0), flexible = false): Buffer {
  return frame(encodeRequestHeader(apiKey, apiVersion, correlationId, flexible), body);
}

/** A magic-1 message set (Kafka 0.10 format) holding one message. */
function magicOneMessageSet(value: string): Buffer {
  const payload = Buffer.from(value);
  const message = Buffer.alloc(4 + 1 + 1 + 8 + 4 + 4 + payload.length);
  let at = 4; // crc left 0: the magic check comes first
  message.writeInt8(1, at++); // magic
  message.writeInt8(0, at++); // attributes
  message.writeBigInt64BE(BigInt(Date.now()), at);
  at += 8;
  message.writeInt32BE(-1, at); // null key
  at += 4;
  message.writeInt32BE(payload.length, at);
  at += 4;
  payload.copy(message, at);
  const head = Buffer.alloc(12);
  head.writeBigInt64BE(0n, 0); // offset
  head.writeInt32BE(message.length, 8);
  return Buffer.concat([head, message]);
}

describe('Server ordering', () => {
  test('pipelined requests of different APIs and versions are answered in request order', async () => {
    const served = await serve();
    const client = await served.connect();
    const requests: Array<(id: number) => Buffer> = [];
    for (let round = 0; round < 5; round++) {
      requests.push(
        (id) => encodeRequest(API_KEYS.ApiVersions, 3, id, API_VERSIONS[0], { clientSoftwareName: 'a', clientSoftwareVersion: '1' }),
        (id) => encodeRequest(API_KEYS.Metadata, 9, id, METADATA[0], { topics: [{ name: TOPIC }], allowAutoTopicCreation: false }),
        (id) => encodeRequest(API_KEYS.Produce, 7, id, PRODUCE[0], produceBody(batch([`round ${round}`]))),
        (id) =>
          encodeRequest(API_KEYS.ListOffsets, 5, id, LIST_OFFSETS[0], { replicaId: -1, isolationLevel: 0, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, timestamp: -1 }] }] }),
        (id) => encodeRequest(API_KEYS.Metadata, 0, id, METADATA[0], { topics: [] }),
        (id) => encodeRequest(API_KEYS.ApiVersions, 0, id, API_VERSIONS[0], {}),
      );
    }
    const expected = await pipelined(client, requests);
    expect(client.arrivals).toEqual(expected);
    expect(endOffset(served)).toBe(5);
  });

  test('a Produce with acks=0 gets no response: the next request is answered first', async () => {
    const served = await serve();
    const client = await served.connect();
    const produce = client.send(API_KEYS.Produce, 7, PRODUCE, produceBody(batch(['fire', 'and', 'forget']), 0), { expectResponse: false });
    const metadata = client.send(API_KEYS.Metadata, 9, METADATA, { topics: [{ name: TOPIC }], allowAutoTopicCreation: false });
    const answer = await metadata.response;
    expect(answer?.topics[0]?.errorCode).toBe(KAFKA.NONE);
    expect(client.arrivals).toEqual([metadata.correlationId]);
    expect(client.arrivals).not.toContain(produce.correlationId);
    expect(endOffset(served)).toBe(3);
  });

  test('a failed Produce with acks=0 closes the connection, as Kafka does, so the producer notices', async () => {
    const served = await serve();
    const client = await served.connect();
    client.send(API_KEYS.Produce, 7, PRODUCE, produceBody(batch(['lost']), 0, 'no-such-topic'), { expectResponse: false });
    expect(await closesWithin(client, 2000)).toBe(true);
    expect(client.arrivals).toEqual([]);
    await apiVersionsWorks(await served.connect());
  });

  test('with queued.max.requests=2, five hundred pipelined requests are all answered in order', async () => {
    const served = await serve({ 'queued.max.requests': 2 });
    const client = await served.connect();
    const requests = Array.from({ length: 500 }, (_, i) => (id: number): Buffer =>
      i % 3 === 0
        ? encodeRequest(API_KEYS.Produce, 7, id, PRODUCE[0], produceBody(batch([`value ${i}`])))
        : i % 3 === 1
          ? encodeRequest(API_KEYS.Metadata, 9, id, METADATA[0], { topics: null })
          : encodeRequest(API_KEYS.ApiVersions, 0, id, API_VERSIONS[0], {}),
    );
    const expected = await pipelined(client, requests);
    expect(client.arrivals).toEqual(expected);
    expect(endOffset(served)).toBe(167);
  });

  test('a long-polling Fetch on one connection does not delay requests on another', async () => {
    const served = await serve();
    const poller = await served.connect();
    const other = await served.connect();
    const fetch = poller.send(API_KEYS.Fetch, 11, FETCH, fetchBody(TOPIC, 0, 0, 1500));
    const started = performance.now();
    await apiVersionsWorks(other);
    await other.request(API_KEYS.Metadata, 9, METADATA, { topics: null });
    expect(performance.now() - started).toBeLessThan(500);
    // The poll is answered when data arrives.
    await other.request(API_KEYS.Produce, 7, PRODUCE, produceBody(batch(['wake up'])));
    const fetched = await fetch.response;
    expect(fetched?.responses[0]?.partitions[0]?.records?.length).toBeGreaterThan(0);
    expect(performance.now() - started).toBeLessThan(1500);
  });
});

describe('Server refusals that close one connection', () => {
  test('an unknown API key closes that connection after the answers before it; another connection is still served', async () => {
    const served = await serve();
    const bad = await served.connect();
    const good = await served.connect();
    const before = bad.expect(1);
    bad.write(Buffer.concat([encodeRequest(API_KEYS.ApiVersions, 0, 1, API_VERSIONS[0], {}), rawHeaderFrame(99, 0, 2)]));
    await before;
    expect(await closesWithin(bad, 2000)).toBe(true);
    expect(bad.arrivals).toEqual([1]);
    expect(served.closeReasons.some((reason) => reason.includes('unknown API key 99'))).toBe(true);
    await apiVersionsWorks(good);
  });

  test('an API key the table lacks but Kafka has (e.g. SaslHandshake) closes the connection', async () => {
    const served = await serve();
    const bad = await served.connect();
    bad.write(rawHeaderFrame(17, 1, 7, Buffer.from([0, 5, 0x50, 0x4c, 0x41, 0x49, 0x4e])));
    expect(await closesWithin(bad, 2000)).toBe(true);
    expect(bad.arrivals).toEqual([]);
  });

  test('an unsupported version of Metadata closes the connection', async () => {
    const served = await serve();
    for (const version of [10, 12, 100, -1]) {
      const bad = await served.connect();
      const body = version === 10 || version === 12 ? encodeBody(METADATA[0], version, { topics: null }) : Buffer.alloc(0);
      bad.write(rawHeaderFrame(API_KEYS.Metadata, version, 3, body, version >= 9));
      expect(await closesWithin(bad, 2000), `Metadata v${version}`).toBe(true);
      expect(bad.arrivals).toEqual([]);
    }
    expect(served.closeReasons.filter((reason) => reason.includes('Metadata v')).length).toBe(4);
    await apiVersionsWorks(await served.connect());
  });

  test('a truncated body closes the connection', async () => {
    const served = await serve();
    const full = encodeRequest(API_KEYS.Metadata, 9, 5, METADATA[0], { topics: [{ name: TOPIC }, { name: 'other' }], allowAutoTopicCreation: false });
    const payload = full.subarray(4);
    for (const keep of [payload.length - 1, payload.length - 5, 12, 9, 3, 0]) {
      const bad = await served.connect();
      bad.write(frame(payload.subarray(0, keep)));
      expect(await closesWithin(bad, 2000), `${keep} of ${payload.length} bytes`).toBe(true);
      expect(bad.arrivals).toEqual([]);
    }
    expect(served.closeReasons.every((reason) => /malformed|unreadable/.test(reason))).toBe(true);
    await apiVersionsWorks(await served.connect());
  });

  test('a null element in a string array is refused as malformed before any handler sees it', async () => {
    const served = await serve();
    // Kafka never allows a null array element; handlers are not written for one.
    const requests: Array<[string, number, number, boolean, Buffer]> = [
      ['DescribeGroups v0 groups [null]', API_KEYS.DescribeGroups, 0, false, Buffer.from('00000001ffff', 'hex')],
      ['DeleteGroups v0 groups_names [null]', 42, 0, false, Buffer.from('00000001ffff', 'hex')],
      ['DeleteTopics v1 topic_names [null]', 20, 1, false, Buffer.from('00000001ffff000003e8', 'hex')],
      ['FindCoordinator v4 coordinator_keys [null]', 10, 4, true, Buffer.from('00020000', 'hex')],
      ['ListGroups v4 states_filter [null]', 16, 4, true, Buffer.from('020000', 'hex')],
    ];
    for (const [label, apiKey, version, flexible, body] of requests) {
      const client = await served.connect();
      client.write(rawHeaderFrame(apiKey, version, 11, body, flexible));
      expect(await closesWithin(client, 2000), label).toBe(true);
      expect(client.arrivals, label).toEqual([]);
    }
    expect(served.closeReasons).toHaveLength(requests.length);
    for (const reason of served.closeReasons) expect(reason).toMatch(/ malformed: .*null/);
  });

  test('a negative frame size closes the connection', async () => {
    const served = await serve();
    const bad = await served.connect();
    const size = Buffer.alloc(4);
    size.writeInt32BE(-1, 0);
    bad.write(size);
    expect(await closesWithin(bad, 2000)).toBe(true);
    expect(served.closeReasons).toEqual([expect.stringContaining('negative')]);
    await apiVersionsWorks(await served.connect());
  });

  test('a frame size over socket.request.max.bytes closes the connection on the size alone', async () => {
    const served = await serve({ 'socket.request.max.bytes': 1024 });
    const bad = await served.connect();
    const size = Buffer.alloc(4);
    size.writeInt32BE(1025, 0);
    bad.write(size); // the body never comes: the size is enough to refuse
    expect(await closesWithin(bad, 2000)).toBe(true);
    expect(served.closeReasons).toEqual([expect.stringContaining('socket.request.max.bytes=1024')]);
    // A request of exactly the limit is served.
    const good = await served.connect();
    const frameBytes = (name: string): number => encodeRequest(API_KEYS.Metadata, 9, 1, METADATA[0], { topics: [{ name }], allowAutoTopicCreation: false }).length - 4;
    let name = 'x';
    while (frameBytes(name) < 1024) name += 'x';
    expect(frameBytes(name)).toBe(1024);
    const exact = good.send(API_KEYS.Metadata, 9, METADATA, { topics: [{ name }], allowAutoTopicCreation: false });
    const answer = await exact.response;
    expect(answer?.topics[0]?.errorCode).toBe(KAFKA.UNKNOWN_TOPIC_OR_PARTITION);
  });

  test('a frame size of 2 GiB - 1 within the limit is not allocated: the connection waits for bytes that never come', async () => {
    const served = await serve({ 'socket.request.max.bytes': 2 ** 31 - 1 });
    const bad = await served.connect();
    const size = Buffer.alloc(4);
    size.writeInt32BE(2 ** 31 - 1, 0);
    const before = process.memoryUsage();
    bad.write(Buffer.concat([size, Buffer.alloc(1000)]));
    await apiVersionsWorks(await served.connect());
    const after = process.memoryUsage();
    expect(after.rss - before.rss).toBeLessThan(256 * 1024 * 1024);
    expect(bad.isClosed).toBe(false);
  });

  test('with max.connections=2 a third connection is closed at once, and a freed slot is reused', async () => {
    const served = await serve({ 'max.connections': 2 });
    const first = await served.connect();
    const second = await served.connect();
    await apiVersionsWorks(first);
    await apiVersionsWorks(second);
    const third = await served.connect();
    expect(await closesWithin(third, 2000)).toBe(true);
    expect(served.closeReasons).toEqual([expect.stringContaining('max.connections=2')]);
    await apiVersionsWorks(first);
    await apiVersionsWorks(second);
    await first.close();
    // The server frees the slot when it sees the close.
    const deadline = Date.now() + 2000;
    while (served.server.connectionCount > 1 && Date.now() < deadline) await sleep(5);
    const fourth = await served.connect();
    await apiVersionsWorks(fourth);
  });

  test('a connection idle for connections.max.idle.ms is closed; a busy one is not', async () => {
    const served = await serve({ 'connections.max.idle.ms': 250 });
    const idle = await served.connect();
    const busy = await served.connect();
    const started = Date.now();
    while (Date.now() - started < 700) {
      await apiVersionsWorks(busy);
      await sleep(20);
    }
    expect(idle.isClosed).toBe(true);
    expect(busy.isClosed).toBe(false);
    expect(served.closeReasons).toEqual([expect.stringContaining('connections.max.idle.ms=250')]);
  });
});

describe('Server answers with error codes', () => {
  test('ApiVersions at an unsupported version gets a v0 body with error 35 and the ApiVersions range, and the connection stays open', async () => {
    const served = await serve();
    const client = await served.connect();
    for (const version of [4, 9, 0x7fff]) {
      const id = client.nextCorrelationId();
      const answer = client.expect(id);
      // A newer client's flexible body, which the server must not try to parse.
      client.write(rawHeaderFrame(API_KEYS.ApiVersions, version, id, Buffer.from([6, 0x6a, 0x61, 0x76, 0x61, 0x32, 4, 0x33, 0x2e, 0x39, 0]), true));
      const raw = await answer;
      const reader = raw.rest;
      // v0 body: error_code int16, api_keys int32 count + (int16, int16, int16); no throttle time.
      expect(reader.length).toBe(2 + 4 + 6);
      expect(reader.readInt16BE(0)).toBe(KAFKA.UNSUPPORTED_VERSION);
      expect(reader.readInt32BE(2)).toBe(1);
      expect([reader.readInt16BE(6), reader.readInt16BE(8), reader.readInt16BE(10)]).toEqual([API_KEYS.ApiVersions, 0, 3]);
    }
    await apiVersionsWorks(client);
    expect(client.isClosed).toBe(false);
  });

  test('a produced batch with a flipped CRC byte gets CORRUPT_MESSAGE and nothing is appended', async () => {
    const served = await serve();
    const client = await served.connect();
    await client.request(API_KEYS.Produce, 7, PRODUCE, produceBody(batch(['good'])));
    expect(endOffset(served)).toBe(1);
    for (const position of [CRC_OFFSET, CRC_OFFSET + 3, RECORDS_OFFSET + 2]) {
      const corrupt = Buffer.from(batch(['bad one', 'bad two']));
      corrupt[position] = (corrupt[position] as number) ^ 0x5a;
      const answer = await client.request(API_KEYS.Produce, 7, PRODUCE, produceBody(corrupt));
      expect(answer.responses[0]?.partitionResponses[0]?.errorCode, `byte ${position} flipped`).toBe(KAFKA.CORRUPT_MESSAGE);
      expect(answer.responses[0]?.partitionResponses[0]?.baseOffset).toBe(-1);
    }
    expect(endOffset(served)).toBe(1);
    // The connection still works, and so does producing.
    const after = await client.request(API_KEYS.Produce, 7, PRODUCE, produceBody(batch(['good again'])));
    expect(after.responses[0]?.partitionResponses[0]?.baseOffset).toBe(1);
  });

  test('a produced batch whose length runs past its records gets CORRUPT_MESSAGE', async () => {
    const served = await serve();
    const client = await served.connect();
    const records = Buffer.from(batch(['short']));
    records.writeInt32BE(records.readInt32BE(8) + 100, 8);
    const answer = await client.request(API_KEYS.Produce, 7, PRODUCE, produceBody(records));
    expect(answer.responses[0]?.partitionResponses[0]?.errorCode).toBe(KAFKA.CORRUPT_MESSAGE);
    expect(endOffset(served)).toBe(0);
  });

  test('a magic-1 message set gets UNSUPPORTED_FOR_MESSAGE_FORMAT, at old and new Produce versions', async () => {
    const served = await serve();
    const client = await served.connect();
    for (const version of [2, 3, 7]) {
      const answer = await client.request(API_KEYS.Produce, version, PRODUCE, produceBody(magicOneMessageSet('legacy')));
      expect(answer.responses[0]?.partitionResponses[0]?.errorCode, `Produce v${version}`).toBe(KAFKA.UNSUPPORTED_FOR_MESSAGE_FORMAT);
    }
    expect(endOffset(served)).toBe(0);
    await apiVersionsWorks(client);
  });

  test('a Produce with null or empty records gets CORRUPT_MESSAGE', async () => {
    const served = await serve();
    const client = await served.connect();
    for (const records of [null, Buffer.alloc(0), Buffer.alloc(10)]) {
      const answer = await client.request(API_KEYS.Produce, 7, PRODUCE, { acks: 1, timeoutMs: 1000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }] });
      expect(answer.responses[0]?.partitionResponses[0]?.errorCode).toBe(KAFKA.CORRUPT_MESSAGE);
    }
    expect(endOffset(served)).toBe(0);
  });
});

describe('Server fairness', () => {
  test('slow-loris connections sending a byte every 200 ms delay no one else', async () => {
    const served = await serve();
    const request = encodeRequest(API_KEYS.Metadata, 9, 1, METADATA[0], { topics: null });
    const lorises: Socket[] = [];
    const timers: NodeJS.Timeout[] = [];
    for (let i = 0; i < 20; i++) {
      const socket = connect({ port: served.server.port, host: '127.0.0.1' });
      socket.on('error', () => undefined);
      lorises.push(socket);
      let at = 0;
      timers.push(
        setInterval(() => {
          if (at < request.length) socket.write(request.subarray(at, ++at));
        }, 200),
      );
    }
    cleanups.push(() => {
      for (const timer of timers) clearInterval(timer);
      for (const socket of lorises) socket.destroy();
    });
    const client = await served.connect();
    const latencies: number[] = [];
    const started = performance.now();
    while (performance.now() - started < 1300) {
      const sent = performance.now();
      await client.request(API_KEYS.Metadata, 9, METADATA, { topics: null });
      latencies.push(performance.now() - sent);
      await sleep(10);
    }
    latencies.sort((a, b) => a - b);
    expect(latencies.length).toBeGreaterThan(20);
    expect(latencies[Math.floor(latencies.length / 2)]).toBeLessThan(50);
    expect(latencies[latencies.length - 1]).toBeLessThan(250);
    // The slow connections are still open and waiting for their frame: nothing was refused.
    expect(lorises.every((socket) => !socket.destroyed)).toBe(true);
    expect(served.server.connectionCount).toBe(21);
  });
});
