import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { RemoteBroker } from '../../src/client/remote-broker.js';
import { parseListener, readProperties } from '../../src/cli/commands/serve.js';
import { EngineError } from '../../src/core/errors.js';
import { brook, brookServe, stopAllProcesses } from '../helpers/cli-process.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

describe('brook serve', () => {
  let dir: TempDir;
  afterEach(() => {
    stopAllProcesses();
    dir?.remove();
  });

  it('reads Kafka settings from a properties file, with --override winning over the file', async () => {
    dir = makeTempDir();
    const properties = join(dir.path, 'server.properties');
    writeFileSync(properties, ['# a Kafka-style file', 'num.partitions=3', 'segment.bytes = 1048576', '! also a comment', 'retention.ms:3600000', ''].join('\n'));
    const dataDir = join(dir.path, 'data');
    const served = await brookServe(['--data-dir', dataDir, '--config', properties, '--override', 'retention.ms=7200000']);
    const remote = await RemoteBroker.connect(served.address);
    await remote.createTopic('events', -1, {}); // -1: the broker's num.partitions (CreateTopics v4+)
    expect(await remote.topics(['events'])).toEqual([{ name: 'events', partitions: 3 }]);
    const config = new Map((await remote.topicConfig('events')).map((entry) => [entry.name, entry.value]));
    await remote.close();
    expect(config.get('segment.bytes')).toBe('1048576');
    expect(config.get('retention.ms')).toBe('7200000');
    expect(await served.stop()).toBe(0);
    // Broker-wide settings are given at each start (as Kafka's server.properties), not stored:
    // reopened without them, the topic keeps its partitions and falls back to the defaults.
    const broker = await Broker.open({ dataDir, scheduleTasks: false });
    expect(broker.partitionCount('events')).toBe(3);
    expect(broker.describeTopic('events').config.find((entry) => entry.name === 'retention.ms')?.source).toBe('DEFAULT_CONFIG');
    await broker.close();
  });

  it('listens where --listeners says', async () => {
    dir = makeTempDir();
    const served = await brookServe(['--data-dir', dir.path, '--listeners', 'PLAINTEXT://127.0.0.1:0']);
    expect(served.output.join('\n')).toMatch(/serving .* on 127\.0\.0\.1:\d+/);
    const remote = await RemoteBroker.connect(served.address);
    expect((await remote.topics()).map((topic) => topic.name)).toEqual(['__consumer_offsets']);
    await remote.close();
    expect(await served.stop()).toBe(0);
  });

  it('refuses an unknown setting, naming it and the settings it knows, with exit code 1', async () => {
    dir = makeTempDir();
    const result = await brook(['serve', '--data-dir', dir.path, '--port', '0', '--override', 'segment.byte=100']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('segment.byte');
    expect(result.stderr).toContain('segment.bytes');
  });

  it('refuses a malformed properties file and a missing one, saying which line or file', async () => {
    dir = makeTempDir();
    const properties = join(dir.path, 'bad.properties');
    writeFileSync(properties, 'num.partitions=3\njust some words\n');
    const bad = await brook(['serve', '--data-dir', dir.path, '--port', '0', '--config', properties]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${properties}:2`);
    const missing = await brook(['serve', '--data-dir', dir.path, '--port', '0', '--config', join(dir.path, 'nope.properties')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nope.properties');
  });

  it('answers --help, and exits 2 with a pointer to it for an unknown flag or a bad port', async () => {
    const help = await brook(['serve', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('--override <key=value>');
    expect(help.out).toContain('--metrics-port');
    const unknown = await brook(['serve', '--prot', '9092']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('see brook serve --help');
    const badPort = await brook(['serve', '--port', '70000']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('--port=70000');
  });

  it('parses listeners and properties as Kafka writes them', () => {
    expect(parseListener('PLAINTEXT://0.0.0.0:9092')).toEqual({ host: '0.0.0.0', port: 9092 });
    expect(parseListener('PLAINTEXT://:9093')).toEqual({ host: '0.0.0.0', port: 9093 });
    expect(parseListener('[::1]:9094')).toEqual({ host: '::1', port: 9094 });
    expect(() => parseListener('SSL://host')).toThrow(EngineError);
    dir = makeTempDir();
    const file = join(dir.path, 'p.properties');
    writeFileSync(file, 'a=1\r\n# c\r\nb : two words\r\n');
    expect(readProperties(file)).toEqual(['a=1', 'b=two words']);
  });
});
