import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { EngineError } from '../../src/core/errors.js';
import { brookServe, stopAllProcesses } from '../helpers/cli-process.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

describe('data directory lock', () => {
  let dir: TempDir;
  afterEach(() => {
    stopAllProcesses();
    dir?.remove();
  });

  it('refuses a data directory that another live process has open, naming that process', async () => {
    dir = makeTempDir();
    const served = await brookServe(['--data-dir', dir.path]);
    const owner = Number(readFileSync(join(dir.path, '.lock'), 'utf8'));
    expect(owner).toBe(served.child.pid);
    const error = await Broker.open({ dataDir: dir.path, scheduleTasks: false }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).code).toBe('DATA_DIR_LOCKED');
    expect((error as EngineError).message).toContain(`process ${served.child.pid}`);
    expect((error as EngineError).message).toContain('--bootstrap-server');
    expect(await served.stop()).toBe(0);
    expect(existsSync(join(dir.path, '.lock'))).toBe(false);
  });

  it('takes over the lock left by a process that was killed', async () => {
    dir = makeTempDir();
    const served = await brookServe(['--data-dir', dir.path]);
    served.child.kill('SIGKILL');
    await new Promise((resolve) => served.child.once('exit', resolve));
    expect(existsSync(join(dir.path, '.lock'))).toBe(true);
    const broker = await Broker.open({ dataDir: dir.path, scheduleTasks: false });
    expect(Number(readFileSync(join(dir.path, '.lock'), 'utf8'))).toBe(process.pid);
    await broker.close();
    expect(existsSync(join(dir.path, '.lock'))).toBe(false);
  });

  it('refuses a second Broker on the same directory in one process, however the path is written', async () => {
    dir = makeTempDir();
    const first = await Broker.open({ dataDir: dir.path, scheduleTasks: false });
    const error = await Broker.open({ dataDir: `${dir.path}/./`, scheduleTasks: false }).catch((caught: unknown) => caught);
    expect((error as EngineError).code).toBe('DATA_DIR_LOCKED');
    expect((error as EngineError).message).toContain('already open in this process');
    expect(existsSync(join(dir.path, '.lock'))).toBe(true);
    await first.close();
    expect(existsSync(join(dir.path, '.lock'))).toBe(false);
    const again = await Broker.open({ dataDir: dir.path, scheduleTasks: false });
    await again.close();
  });

  it('takes over a lock file whose pid no process has', async () => {
    dir = makeTempDir();
    writeFileSync(join(dir.path, '.lock'), '2147483646\n');
    const broker = await Broker.open({ dataDir: dir.path, scheduleTasks: false });
    expect(Number(readFileSync(join(dir.path, '.lock'), 'utf8'))).toBe(process.pid);
    await broker.close();
  });
});
