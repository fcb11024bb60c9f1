import { Buffer } from 'node:buffer';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { ProtocolError } from '../../src/core/errors.js';
import { ConsumerGroups } from '../../src/groups/consumer-groups.js';
import { API_KEYS, apiEntry, SERVED_APIS } from '../../src/protocol/api-table.js';
import { codecFor, messageSpec } from '../../src/protocol/codec.js';
import { isFlexible, readRequestHeader, skipRequestHeaderTags } from '../../src/protocol/headers.js';
import type { FieldSpec, MessageName } from '../../src/protocol/schema/schema-types.js';
import { SCHEMAS } from '../../src/protocol/schema/messages.generated.js';
import { inVersions, parseVersions } from '../../src/protocol/schema/versions.js';
import { WireReader } from '../../src/protocol/wire/reader.js';
import { WireWriter } from '../../src/protocol/wire/writer.js';
import { CRC_OFFSET } from '../../src/records/batch-layout.js';
import { encodeRecordBatch } from '../../src/records/record-batch.js';
import { CONNECTION_CLOSED_CHANNEL, type BrokerServer } from '../../src/server/server.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';
import { Prng } from '../helpers/prng.js';
import { sampleMessage } from '../helpers/sample-messages.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { within } from '../helpers/wait.js';
import { encodeBody, encodeRequestHeader, frame, WireClient, type RawResponse } from '../helpers/wire-client.js';
import { API_VERSIONS, METADATA } from '../helpers/wire-requests.js';

/**
 * Fuzzing the wire protocol with seeded mutations of valid requests of every served API and
 * version (bit flips, byte changes, interesting integers over length fields, truncation,
 * extension, insertion, deletion, splicing, garbage, corrupted frame sizes):
 *
 * - in process, the decoders the server uses throw nothing but ProtocolError;
 * - over real sockets, a server survives tens of thousands of mutated frames without a crash, an
 *   unhandled rejection, a hang or unbounded memory, and still answers promptly afterwards.
 *
 * Replay another seed with BROOK_FUZZ_SEED=<n>.
 */
const SEED = Number(process.env['BROOK_FUZZ_SEED'] ?? 0x5eed);
const DECODE_FRAMES = 120_000;
const DIRECT_DECODES = 60_000;
const WIRE_FRAMES = 30_000;
const DRIVERS = 4;
const FRAMES_PER_WRITE = 64;
/** A connection making no progress this long is abandoned (a legitimate long wait, or a hang). */
const STALL_MS = 2000;
const TOPIC = 'fuzz';

const cleanups = cleanupsAfterEach();

// ---------------------------------------------------------------------------------------------
// Seeds and mutations

interface Seed {
  readonly label: string;
  /** Request header and body, without the size prefix. */
  readonly payload: Buffer;
  /** Bytes of the request header at the start of `payload` (0: not known). */
  readonly headerBytes: number;
}

function seedOf(label: string, header: Buffer, body: Buffer): Seed {
  return { label, payload: Buffer.concat([header, body]), headerBytes: header.length };
}

/**
 * Partition counts of -1 (the broker default, or invalid): a flipped bit or byte then gives a
 * negative count or one over the 10,000 limit, where from 1 it could ask for thousands of partitions
 * (legitimate, but slow and heavy on disk for a test).
 */
const SAMPLE_OPTIONS = { topic: TOPIC, fields: { NumPartitions: -1, ReplicationFactor: -1, Count: -1 } } as const;

/** A valid request of every served API at every served version, plus a few oddities. */
function buildSeeds(): Seed[] {
  const seeds: Seed[] = [];
  let correlationId = 1;
  for (const entry of SERVED_APIS) {
    for (let version = entry.minVersion; version <= entry.maxVersion; version++) {
      const header = encodeRequestHeader(entry.key, version, correlationId++, isFlexible(entry.request, version), { clientId: 'fuzzer' });
      seeds.push(seedOf(`${entry.name} v${version}`, header, encodeBody(entry.request, version, sampleMessage(entry.request, version, SAMPLE_OPTIONS))));
    }
  }
  const flexibleHeader = (apiKey: number, version: number): Buffer => encodeRequestHeader(apiKey, version, correlationId++, true, { clientId: 'fuzzer' });
  seeds.push(seedOf('ApiVersions v9', flexibleHeader(API_KEYS.ApiVersions, 9), Buffer.from([5, 0x6a, 0x61, 0x76, 0x61, 2, 0x39, 0])));
  seeds.push(seedOf('unknown API key', flexibleHeader(77, 0), Buffer.alloc(8)));
  const produce = (label: string, records: Buffer, acks: number): Seed => {
    const body = encodeBody('ProduceRequest', 7, { acks, timeoutMs: 1000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }] });
    return seedOf(label, encodeRequestHeader(API_KEYS.Produce, 7, correlationId++, false, { clientId: 'fuzzer' }), body);
  };
  const records = encodeRecordBatch([{ key: 'k', value: 'fire and forget' }]);
  seeds.push(produce('Produce v7 acks=0', records, 0));
  const corrupt = Buffer.from(records);
  corrupt[CRC_OFFSET] = (corrupt[CRC_OFFSET] as number) ^ 0xff;
  seeds.push(produce('Produce v7 bad CRC', corrupt, 1));
  const fetchBody = encodeBody('FetchRequest', 11, {
    replicaId: -1,
    maxWaitMs: 20,
    minBytes: 1 << 20,
    maxBytes: 1 << 20,
    topics: [{ topic: TOPIC, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }],
  });
  seeds.push(seedOf('Fetch v11 short long-poll', encodeRequestHeader(API_KEYS.Fetch, 11, correlationId++, false, { clientId: 'fuzzer' }), fetchBody));
  return seeds;
}

const INTERESTING_16 = [0, 1, -1, 0x7f, 0x80, 0xff, 0x7fff, -0x8000, 0x100, 18, 3, 99];
const INTERESTING_32 = [0, 1, -1, -2, 0x7fffffff, -0x80000000, 0x7ffffffe, 0xffff, 0x10000, 104_857_600, 255, 256];

function pick<T>(prng: Prng, items: ReadonlyArray<T>): T {
  return items[prng.nextInt(items.length)] as T;
}

function randomPosition(prng: Prng, payload: Buffer): number {
  // A quarter of the time in the first 40 bytes (header, top-level counts and lengths).
  return prng.nextInt(4) === 0 ? prng.nextInt(Math.min(40, payload.length)) : prng.nextInt(payload.length);
}

/** One body-level mutation (the frame size is recomputed afterwards). */
function mutateOnce(prng: Prng, payload: Buffer, seeds: ReadonlyArray<Seed>): Buffer {
  const kind = prng.nextInt(14);
  if (payload.length === 0 && kind < 8) return prng.bytes(1 + prng.nextInt(16));
  switch (kind) {
    case 0: {
      const out = Buffer.from(payload);
      const flips = 1 + prng.nextInt(4);
      for (let i = 0; i < flips; i++) {
        const at = randomPosition(prng, out);
        out[at] = (out[at] as number) ^ (1 << prng.nextInt(8));
      }
      return out;
    }
    case 1: {
      const out = Buffer.from(payload);
      const changes = 1 + prng.nextInt(4);
      for (let i = 0; i < changes; i++) out[randomPosition(prng, out)] = pick(prng, [0, 0xff, 0x7f, 0x80, 0x01, prng.nextInt(256)]);
      return out;
    }
    case 2: {
      const out = Buffer.from(payload);
      if (prng.nextInt(2) === 0 && out.length >= 2) out.writeInt16BE(pick(prng, INTERESTING_16) << 16 >> 16, prng.nextInt(out.length - 1));
      else if (out.length >= 4) out.writeInt32BE(pick(prng, INTERESTING_32) | 0, prng.nextInt(out.length - 3));
      return out;
    }
    case 3:
      return payload.subarray(0, prng.nextInt(payload.length));
    case 4:
      return Buffer.concat([payload, prng.bytes(1 + prng.nextInt(64))]);
    case 5: {
      const at = prng.nextInt(payload.length + 1);
      return Buffer.concat([payload.subarray(0, at), prng.bytes(1 + prng.nextInt(16)), payload.subarray(at)]);
    }
    case 6: {
      const at = prng.nextInt(payload.length);
      const length = 1 + prng.nextInt(Math.min(32, payload.length - at));
      return Buffer.concat([payload.subarray(0, at), payload.subarray(at + length)]);
    }
    case 7: {
      const at = prng.nextInt(payload.length);
      const length = 1 + prng.nextInt(Math.min(64, payload.length - at));
      const copies = 1 + prng.nextInt(8);
      const range = payload.subarray(at, at + length);
      return Buffer.concat([payload.subarray(0, at + length), ...Array.from({ length: copies }, () => range), payload.subarray(at + length)]);
    }
    case 8: {
      // Another request's body under this header: a body of the wrong API or version.
      const other = pick(prng, seeds).payload;
      if (payload.length < 10) return Buffer.concat([payload, other]);
      const headerEnd = Math.min(payload.length, 10 + Math.max(0, payload.readInt16BE(8)));
      return Buffer.concat([payload.subarray(0, headerEnd), other.subarray(Math.min(other.length, headerEnd))]);
    }
    case 9:
      return prng.bytes(prng.nextInt(256));
    case 10: {
      const out = Buffer.from(payload);
      if (out.length >= 4) {
        if (prng.nextInt(2) === 0) out.writeInt16BE(pick(prng, [...SERVED_APIS.map((entry) => entry.key), -1, 17, 36, 0x7fff]), 0);
        out.writeInt16BE(pick(prng, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, -1, 0x7fff]), 2);
      }
      return out;
    }
    case 11: {
      // A varint that never ends, or a huge one.
      const at = prng.nextInt(payload.length + 1);
      const bomb = Buffer.alloc(1 + prng.nextInt(12), pick(prng, [0xff, 0x80, 0x8f]));
      return Buffer.concat([payload.subarray(0, at), bomb, payload.subarray(at)]);
    }
    case 12: {
      const out = Buffer.from(payload);
      if (out.length >= 10) out.writeInt16BE(pick(prng, INTERESTING_16) << 16 >> 16, 8); // client id length
      return out;
    }
    default: {
      // Overwrite a region with random bytes.
      const out = Buffer.from(payload);
      const at = prng.nextInt(out.length);
      prng.bytes(Math.min(out.length - at, 1 + prng.nextInt(24))).copy(out, at);
      return out;
    }
  }
}

/**
 * Half the frames get one change to a value in the body (the header left intact), so that many
 * reach the handlers with odd values; the rest get one to three mutations of any kind.
 */
function mutatePayload(prng: Prng, seeds: ReadonlyArray<Seed>): { payload: Buffer; seed: Seed } {
  const seed = pick(prng, seeds);
  let payload = seed.payload;
  if (prng.nextInt(2) === 0 && payload.length > seed.headerBytes) {
    const out = Buffer.from(payload);
    const at = seed.headerBytes + prng.nextInt(out.length - seed.headerBytes);
    const kind = prng.nextInt(3);
    if (kind === 0) out[at] = (out[at] as number) ^ (1 << prng.nextInt(8));
    else if (kind === 1) out[at] = pick(prng, [0, 0xff, 0x7f, 0x80, 0x01, prng.nextInt(256)]);
    else if (at + 4 <= out.length) out.writeInt32BE(pick(prng, INTERESTING_32) | 0, at);
    return { payload: out, seed };
  }
  const rounds = 1 + prng.nextInt(3);
  for (let i = 0; i < rounds; i++) payload = mutateOnce(prng, payload, seeds);
  return { payload, seed };
}

interface FuzzFrame {
  readonly bytes: Buffer;
  /** The size field lies: the stream may desynchronise, so the frame goes last on its connection. */
  readonly framing: boolean;
  readonly label: string;
}

function sizeLie(prng: Prng, actual: number): number {
  switch (prng.nextInt(6)) {
    case 0:
      return prng.nextUint32() | 0;
    case 1:
      return -1 - prng.nextInt(1000);
    case 2:
      return pick(prng, [0x7fffffff, 104_857_600, 104_857_601, -0x80000000]);
    case 3:
      return actual + 1 + prng.nextInt(16);
    case 4:
      return Math.max(0, actual - 1 - prng.nextInt(16));
    default:
      return 0;
  }
}

function mutateFrame(prng: Prng, seeds: ReadonlyArray<Seed>): FuzzFrame {
  const { payload, seed } = mutatePayload(prng, seeds);
  if (prng.nextInt(16) === 0) {
    const size = Buffer.alloc(4);
    size.writeInt32BE(sizeLie(prng, payload.length), 0);
    return { bytes: Buffer.concat([size, payload]), framing: true, label: `${seed.label} (size lie)` };
  }
  return { bytes: frame(payload), framing: false, label: seed.label };
}

// ---------------------------------------------------------------------------------------------
// In-process decoding

/**
 * What Connection does with a frame up to handing the request to its handler. A request that
 * decodes is encoded again at its version: that fails if the decoder let through a value the
 * schema forbids (a null where the version is not nullable), which handlers are not ready for.
 */
function decodeAsServer(payload: Buffer): 'decoded' | 'not served' {
  const reader = new WireReader(payload);
  const header = readRequestHeader(reader);
  const entry = apiEntry(header.apiKey);
  if (entry === undefined || header.apiVersion < entry.minVersion || header.apiVersion > entry.maxVersion) return 'not served';
  if (isFlexible(entry.request, header.apiVersion)) skipRequestHeaderTags(reader);
  const codec = codecFor(entry.request, header.apiVersion);
  const request = codec.decode(reader);
  fitsSchema(entry.request, header.apiVersion, request, () => codec.encode(new WireWriter(), request));
  return 'decoded';
}

function camel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** Paths in a decoded message holding null where the schema does not allow it at that version. */
function forbiddenNulls(name: MessageName, version: number, message: unknown): string[] {
  const spec = messageSpec(name);
  const found: string[] = [];
  const walk = (fields: ReadonlyArray<FieldSpec>, value: Record<string, unknown>, where: string): void => {
    for (const field of fields) {
      if (!inVersions(field.versions, version)) continue;
      const fieldValue = value[camel(field.name)];
      if (fieldValue === null) {
        if (!inVersions(field.nullableVersions, version)) found.push(`${where}.${field.name}`);
        continue;
      }
      const isArray = field.type.startsWith('[]');
      const type = isArray ? field.type.slice(2) : field.type;
      const structFields = field.fields ?? spec.commonStructs.find((struct) => struct.name === type)?.fields;
      const items: ReadonlyArray<unknown> = isArray && Array.isArray(fieldValue) ? fieldValue : [fieldValue];
      items.forEach((item, index) => {
        if (item === null) found.push(`${where}.${field.name}[${index}]`);
        else if (structFields !== undefined && typeof item === 'object') walk(structFields, item as Record<string, unknown>, `${where}.${field.name}`);
      });
    }
  };
  walk(spec.fields, message as Record<string, unknown>, name);
  return found;
}

/**
 * A decoded message must fit its schema: no null where the version does not allow one (array
 * elements are never nullable), and it encodes again. A failure means the decoder let through what
 * handlers are not written for. An int64 beyond ±2^53 is the exception: it decodes to the nearest
 * double by design (reader.ts), which the writer then refuses.
 */
function fitsSchema(name: MessageName, version: number, message: unknown, encode: () => void): void {
  const label = `${name} v${version}`;
  const nulls = forbiddenNulls(name, version, message);
  if (nulls.length > 0) throw new Error(`decoded ${label} holds null where the schema forbids it: ${nulls.join(', ')}`);
  try {
    encode();
  } catch (error) {
    if (error instanceof ProtocolError && error.message.includes('is not a safe integer')) return;
    throw new Error(`decoded ${label} does not fit its own schema: ${describeError(error)}`);
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
}

describe('Protocol decoding of mutated bytes', () => {
  test('a sample of every served request and response version encodes, decodes and re-encodes to the same bytes', () => {
    const checked: string[] = [];
    for (const entry of SERVED_APIS) {
      for (let version = entry.minVersion; version <= entry.maxVersion; version++) {
        for (const name of [entry.request, entry.response]) {
          const bytes = encodeBody(name, version, sampleMessage(name, version));
          const reader = new WireReader(bytes);
          const decoded = codecFor(name, version).decode(reader);
          expect(reader.remaining, `${name} v${version}`).toBe(0);
          const writer = new WireWriter();
          codecFor(name, version).encode(writer, decoded);
          expect(writer.toBuffer().equals(bytes), `${name} v${version} round trip`).toBe(true);
          checked.push(`${name} v${version}`);
        }
      }
    }
    expect(checked.length).toBeGreaterThan(200);
  });

  test(`${DECODE_FRAMES} mutated request frames decoded as the server does are refused with ProtocolError or fit their schema`, () => {
    const prng = new Prng(SEED);
    const seeds = buildSeeds();
    const failures: string[] = [];
    const outcomes = { decoded: 0, 'not served': 0, refused: 0 };
    const started = performance.now();
    for (let i = 0; i < DECODE_FRAMES; i++) {
      const { payload, seed } = mutatePayload(prng, seeds);
      try {
        outcomes[decodeAsServer(payload)]++;
      } catch (error) {
        if (error instanceof ProtocolError) outcomes.refused++;
        else if (failures.length < 10) failures.push(`frame ${i} (from ${seed.label}, seed ${SEED}) ${payload.toString('hex')}: ${describeError(error)}`);
      }
    }
    expect(failures).toEqual([]);
    // Both outcomes are common: the mutations neither always break nor never break a frame.
    expect(outcomes.decoded).toBeGreaterThan(DECODE_FRAMES / 20);
    expect(outcomes.refused).toBeGreaterThan(DECODE_FRAMES / 20);
    expect(performance.now() - started).toBeLessThan(30_000);
  });

  test(`${DIRECT_DECODES} mutated bodies of every version of every request schema and served response are refused with ProtocolError or fit their schema`, () => {
    const prng = new Prng(SEED ^ 0x9e3779b9);
    const bodies: Seed[] = [];
    for (const name of Object.keys(SCHEMAS) as MessageName[]) {
      const spec = messageSpec(name);
      if (spec.type !== 'request') continue;
      const valid = parseVersions(spec.validVersions);
      for (let version = valid.min; version <= valid.max; version++) {
        bodies.push({ label: `${name} v${version}`, payload: encodeBody(name, version, sampleMessage(name, version)), headerBytes: 0 });
      }
    }
    for (const entry of SERVED_APIS) {
      for (let version = entry.minVersion; version <= entry.maxVersion; version++) {
        bodies.push({ label: `${entry.response} v${version}`, payload: encodeBody(entry.response, version, sampleMessage(entry.response, version)), headerBytes: 0 });
      }
    }
    const failures: string[] = [];
    for (let i = 0; i < DIRECT_DECODES; i++) {
      const index = prng.nextInt(bodies.length);
      const body = bodies[index] as Seed;
      let payload = body.payload;
      const rounds = 1 + prng.nextInt(3);
      for (let round = 0; round < rounds; round++) payload = mutateOnce(prng, payload, bodies);
      const [name, versionText] = body.label.split(' v') as [MessageName, string];
      try {
        const codec = codecFor(name, Number(versionText));
        const decoded = codec.decode(new WireReader(payload));
        fitsSchema(name, Number(versionText), decoded, () => codec.encode(new WireWriter(), decoded));
      } catch (error) {
        if (!(error instanceof ProtocolError) && failures.length < 10) failures.push(`${body.label} (seed ${SEED}) ${payload.toString('hex')}: ${describeError(error)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(bodies.length).toBeGreaterThan(250);
  });
});

// ---------------------------------------------------------------------------------------------
// Over the wire

const PROBE_BASE = 0x7e000000;

function probeFrame(correlationId: number): Buffer {
  return frame(encodeRequestHeader(API_KEYS.ApiVersions, 0, correlationId, false, { clientId: 'probe' }));
}

interface WireStats {
  processed: number;
  connections: number;
  closedByServer: number;
  stalls: string[];
}

/** Hands out mutated frames in a fixed order; frames a closed connection never got come back first. */
class FrameSource {
  readonly #prng: Prng;
  readonly #seeds: ReadonlyArray<Seed>;
  readonly #returned: FuzzFrame[] = [];
  #generated = 0;
  readonly #limit: number;

  constructor(prng: Prng, seeds: ReadonlyArray<Seed>, limit: number) {
    this.#prng = prng;
    this.#seeds = seeds;
    this.#limit = limit;
  }

  /**
   * Up to `count` frames. A frame with a lying size goes alone: the server refuses a bad size as
   * soon as it reads it, dropping the frames before it that it had not answered yet.
   */
  take(count: number): FuzzFrame[] {
    const out: FuzzFrame[] = [];
    while (out.length < count) {
      const next = this.#returned.shift() ?? (this.#generated < this.#limit ? (this.#generated++, mutateFrame(this.#prng, this.#seeds)) : undefined);
      if (next === undefined) break;
      if (next.framing && out.length > 0) {
        this.#returned.unshift(next);
        break;
      }
      out.push(next);
      if (next.framing) break;
    }
    return out;
  }

  giveBack(frames: ReadonlyArray<FuzzFrame>): void {
    this.#returned.unshift(...frames);
  }
}

let probeCounter = 0;

/**
 * Send batches of mutated frames, each followed by an ApiVersions v0 probe. The server answers in
 * order, so the answered probes say exactly which frames it handled: when it closes the connection,
 * the frame after the last answered probe caused it, and the frames after that go to a new one.
 */
async function drive(port: number, source: FrameSource, stats: WireStats): Promise<void> {
  let client: WireClient | null = null;
  let tracker: { readonly probes: number[]; answered: number; progress: () => void } | null = null;
  for (;;) {
    const batch = source.take(FRAMES_PER_WRITE);
    if (batch.length === 0) break;
    const ends = batch[0]?.framing === true;
    if (ends && client !== null) {
      // A lying size gets a connection of its own (see FrameSource.take).
      await client.close();
      client = null;
    }
    if (client === null || client.isClosed) {
      const current = await WireClient.connect(port);
      stats.connections++;
      current.onResponse((response: RawResponse) => {
        if (tracker !== null && current === client && response.correlationId === tracker.probes[tracker.answered]) {
          tracker.answered++;
          tracker.progress();
        }
      });
      client = current;
    }
    const connection: WireClient = client;
    const probes = batch.map(() => PROBE_BASE + (probeCounter++ % 0x00ffffff));
    const parts: Buffer[] = [];
    batch.forEach((item, index) => parts.push(item.bytes, probeFrame(probes[index] as number)));
    const current = { probes, answered: 0, progress: () => undefined as void };
    tracker = current;
    const outcome = await new Promise<'answered' | 'closed' | 'stalled'>((resolve) => {
      const timer = setTimeout(() => resolve('stalled'), STALL_MS);
      current.progress = () => {
        timer.refresh();
        if (current.answered === probes.length) {
          clearTimeout(timer);
          resolve('answered');
        }
      };
      void connection.closed.then(() => {
        clearTimeout(timer);
        resolve('closed');
      });
      connection.write(Buffer.concat(parts));
      if (ends) connection.socket.end();
    });
    tracker = null;
    const answered = current.answered;
    if (outcome === 'answered') {
      stats.processed += batch.length;
      if (ends) {
        await connection.closed;
        client = null;
      }
      continue;
    }
    // The frame after the last answered probe closed or stalled the connection.
    stats.processed += answered + 1;
    source.giveBack(batch.slice(answered + 1));
    if (outcome === 'closed') stats.closedByServer++;
    else {
      stats.stalls.push((batch[answered] as FuzzFrame).label);
      connection.socket.destroy();
    }
    client = null;
  }
  if (client !== null) await client.close();
}

function directoryBytes(path: string): number {
  let total = 0;
  for (const name of readdirSync(path)) {
    const full = join(path, name);
    const stat = statSync(full);
    total += stat.isDirectory() ? directoryBytes(full) : stat.size;
  }
  return total;
}

describe('Server under a stream of mutated frames', () => {
  test(`${WIRE_FRAMES} mutated frames over a few connections: no crash, no unhandled rejection, no hang, bounded memory`, async () => {
    const problems: string[] = [];
    const onRejection = (reason: unknown): void => void problems.push(`unhandled rejection: ${describeError(reason)}`);
    const onException = (error: unknown): void => void problems.push(`uncaught exception: ${describeError(error)}`);
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onException);
    cleanups.push(() => {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    });
    const reasons = new Map<string, number>();
    const onClosed = (message: unknown): void => {
      // Group reasons by their words, without numbers and quoted names.
      const reason = (message as { reason: string }).reason.replace(/"[^"]*"/g, '""').replace(/-?\d+/g, 'N').slice(0, 120);
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    };
    subscribe(CONNECTION_CLOSED_CHANNEL, onClosed);
    cleanups.push(() => {
      unsubscribe(CONNECTION_CLOSED_CHANNEL, onClosed);
    });

    const directory = makeTempDir('brook-fuzz-');
    cleanups.push(() => directory.remove());
    const broker = await Broker.open({ dataDir: directory.path, scheduleTasks: false });
    await broker.createTopic(TOPIC, { partitions: 2 });
    const groups = await ConsumerGroups.open(broker, {
      coordinator: { 'group.initial.rebalance.delay.ms': 0, 'group.min.session.timeout.ms': 10, 'group.max.session.timeout.ms': 2000 },
    });
    const server: BrokerServer = await broker.listen({ port: 0, groups, 'auto.create.topics.enable': false });
    cleanups.push(async () => {
      // Held JoinGroup/SyncGroup requests are answered by the coordinator's close, so the
      // server's graceful close does not wait for their rebalance timeouts.
      groups.close();
      await server.close();
      await broker.close();
    });

    const seeds = buildSeeds();
    const source = new FrameSource(new Prng(SEED), seeds, WIRE_FRAMES);
    const stats: WireStats = { processed: 0, connections: 0, closedByServer: 0, stalls: [] };
    const before = process.memoryUsage();
    const started = performance.now();
    await Promise.all(Array.from({ length: DRIVERS }, () => drive(server.port, source, stats)));
    const elapsedMs = performance.now() - started;
    const after = process.memoryUsage();

    // The server still answers a fresh connection promptly.
    const fresh = await WireClient.connect(server.port);
    const checkStarted = performance.now();
    const versions = await within(
      fresh.request(API_KEYS.ApiVersions, 3, API_VERSIONS, { clientSoftwareName: 'after-fuzz', clientSoftwareVersion: '1' }),
      2000,
      'ApiVersions after the fuzz',
    );
    const metadata = await within(
      fresh.request(API_KEYS.Metadata, 9, METADATA, { topics: null, allowAutoTopicCreation: false }),
      2000,
      'Metadata after the fuzz',
    );
    const checkMs = performance.now() - checkStarted;
    await fresh.close();

    const topics = broker.listTopics();
    const partitions = topics.reduce((sum, topic) => sum + broker.partitionCount(topic), 0);
    const diskBytes = directoryBytes(directory.path);
    const summary = {
      seed: SEED,
      processed: stats.processed,
      elapsedMs: Math.round(elapsedMs),
      connections: stats.connections,
      closedByServer: stats.closedByServer,
      stalls: stats.stalls,
      heapGrowthMiB: Math.round((after.heapUsed - before.heapUsed) / 2 ** 20),
      rssGrowthMiB: Math.round((after.rss - before.rss) / 2 ** 20),
      topics: topics.length,
      partitions,
      diskMiB: Math.round(diskBytes / 2 ** 20),
      topCloseReasons: [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 8),
    };
    process.stdout.write(`fuzz summary: ${JSON.stringify(summary)}\n`);

    expect(problems).toEqual([]);
    expect(stats.processed).toBeGreaterThanOrEqual(WIRE_FRAMES);
    expect(versions.errorCode).toBe(0);
    // Every topic, including any a mutated CreateTopics made (or minus one a DeleteTopics removed).
    expect(metadata.topics.map((topic) => topic.name).sort()).toEqual(topics);
    expect(metadata.topics.every((topic) => topic.errorCode === 0)).toBe(true);
    expect(checkMs).toBeLessThan(1000);
    // Only requests that may legitimately wait stall a connection (a long poll, a held join), rarely.
    expect(stats.stalls.filter((label) => !/^(Fetch|JoinGroup|SyncGroup)/.test(label))).toEqual([]);
    expect(stats.stalls.length).toBeLessThan(WIRE_FRAMES / 1000);
    // A handler never fails on a request it could decode, and every response encodes.
    const handlerFailures = [...reasons.keys()].filter((reason) => / failed: (?!acks=N produce failed)|could not be encoded|no handler/.test(reason));
    expect(handlerFailures).toEqual([]);
    expect(after.heapUsed - before.heapUsed).toBeLessThan(256 * 2 ** 20);
    expect(after.rss - before.rss).toBeLessThan(512 * 2 ** 20);
    expect(diskBytes).toBeLessThan(256 * 2 ** 20);
  }, 120_000);
});
