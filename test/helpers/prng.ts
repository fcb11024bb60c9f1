/**
 * A seeded pseudo-random generator (mulberry32) for reproducible test data. The same seed always
 * gives the same bytes on every machine, so a failing test can be replayed exactly. Not for
 * anything that needs real randomness.
 */
export class Prng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let mixed = this.#state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return (mixed ^ (mixed >>> 14)) >>> 0;
  }

  /** An integer in [0, boundExclusive). */
  nextInt(boundExclusive: number): number {
    return Math.floor((this.nextUint32() / 4_294_967_296) * boundExclusive);
  }

  /** Incompressible bytes. */
  bytes(length: number): Buffer {
    const output = Buffer.allocUnsafe(length);
    for (let index = 0; index < length; index++) output[index] = this.nextUint32() & 0xff;
    return output;
  }

  /** Text-like bytes drawn from a small vocabulary: LZ4 and gzip shrink them several times over. */
  compressibleBytes(length: number): Buffer {
    const words = ['offset ', 'segment ', 'batch ', 'record ', 'leader ', 'epoch ', 'kafka ', 'brook '];
    const output = Buffer.allocUnsafe(length);
    let position = 0;
    while (position < length) {
      const word = words[this.nextInt(words.length)]!;
      position += output.write(word, position, Math.min(word.length, length - position), 'latin1');
    }
    return output;
  }
}
