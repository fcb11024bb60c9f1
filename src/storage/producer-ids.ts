import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Producer ids for idempotent producers (Kafka's InitProducerId), unique across restarts: ids are
 * handed out from blocks of PRODUCER_ID_BLOCK_SIZE, and the end of the current block is written
 * (atomically) before any id of it is used, so a crash can skip ids but never reuse one.
 */
export const PRODUCER_ID_BLOCK_SIZE = 1000;
const FILE = 'producer-id-block';

export class ProducerIdAllocator {
  #next: number;
  #blockEnd: number;

  constructor(private readonly dataDir: string) {
    const path = join(dataDir, FILE);
    const stored = existsSync(path) ? Number(readFileSync(path, 'utf8').trim()) : 0;
    this.#next = Number.isSafeInteger(stored) && stored >= 0 ? stored : 0;
    this.#blockEnd = this.#next;
  }

  allocate(): number {
    if (this.#next >= this.#blockEnd) {
      this.#blockEnd = this.#next + PRODUCER_ID_BLOCK_SIZE;
      this.#persist(this.#blockEnd);
    }
    return this.#next++;
  }

  #persist(blockEnd: number): void {
    const path = join(this.dataDir, FILE);
    const temporary = `${path}.tmp`;
    const fd = openSync(temporary, 'w');
    try {
      const bytes = Buffer.from(`${blockEnd}\n`);
      writeSync(fd, bytes, 0, bytes.length, 0);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
    const directory = openSync(this.dataDir, 'r');
    try {
      fsyncSync(directory);
    } finally {
      closeSync(directory);
    }
  }
}
