import { Buffer } from 'node:buffer';
import { ProtocolError } from '../core/errors.js';

/**
 * Reassembles Kafka frames (int32 size + that many bytes) from a TCP byte stream: a chunk may hold
 * half a frame or several. A size that is negative or over the limit is refused as soon as its four
 * bytes arrive. Memory follows the bytes that actually arrived, never the size a peer declared: a
 * frame inside one chunk is a slice of it (no copy); a frame split across chunks is kept as the
 * pieces received and joined once, when its last byte arrives.
 */
export class FrameSplitter {
  readonly #frameBytesMax: number;
  readonly #header = Buffer.alloc(4);
  #headerFilled = 0;
  /** Size of the frame being assembled, or -1 when between frames. */
  #frameSize = -1;
  #pieces: Buffer[] = [];
  #piecesBytes = 0;

  constructor(frameBytesMax: number) {
    this.#frameBytesMax = frameBytesMax;
  }

  /** Bytes of an incomplete frame held. */
  get buffered(): number {
    return this.#headerFilled + this.#piecesBytes;
  }

  /** Feed a chunk; each complete frame (without its size prefix) goes to `onFrame`. */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    let at = 0;
    const end = chunk.length;
    while (at < end) {
      if (this.#frameSize >= 0) {
        const take = Math.min(end - at, this.#frameSize - this.#piecesBytes);
        this.#pieces.push(chunk.subarray(at, at + take));
        this.#piecesBytes += take;
        at += take;
        if (this.#piecesBytes === this.#frameSize) {
          const frame = this.#pieces.length === 1 ? (this.#pieces[0] as Buffer) : Buffer.concat(this.#pieces, this.#frameSize);
          this.#frameSize = -1;
          this.#pieces = [];
          this.#piecesBytes = 0;
          onFrame(frame);
        }
        continue;
      }
      if (this.#headerFilled === 0 && end - at >= 4) {
        const size = this.#checkSize(chunk.readInt32BE(at));
        at += 4;
        if (end - at >= size) {
          onFrame(chunk.subarray(at, at + size));
          at += size;
        } else this.#frameSize = size;
        continue;
      }
      // A size prefix split across chunks.
      const take = Math.min(4 - this.#headerFilled, end - at);
      chunk.copy(this.#header, this.#headerFilled, at, at + take);
      this.#headerFilled += take;
      at += take;
      if (this.#headerFilled === 4) {
        this.#headerFilled = 0;
        const size = this.#checkSize(this.#header.readInt32BE(0));
        if (size === 0) onFrame(Buffer.alloc(0));
        else this.#frameSize = size;
      }
    }
  }

  #checkSize(size: number): number {
    if (size < 0) throw new ProtocolError('MALFORMED_FRAME', `frame size ${size} is negative`);
    if (size > this.#frameBytesMax) {
      throw new ProtocolError(
        'FRAME_TOO_LARGE',
        `frame size ${size} is over socket.request.max.bytes=${this.#frameBytesMax}: raise the limit or send smaller requests`,
      );
    }
    return size;
  }
}
