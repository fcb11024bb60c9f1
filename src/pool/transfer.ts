/**
 * Moving bytes between threads without copying them.
 *
 * postMessage can transfer only a whole ArrayBuffer: the sender's view is detached (length 0)
 * and the receiver gets the same memory. A Buffer is safe to transfer only when it is the sole
 * view of its ArrayBuffer ("standalone": byteOffset 0 and byteLength equal to its buffer's).
 *
 * - Buffer.allocUnsafe(n) for n < 4 KiB, Buffer.from(string) and small encodes are slices of
 *   Node's shared 8 KiB pool. Transferring that pool would detach every other Buffer cut from it,
 *   so such a Buffer (and any subarray of a larger buffer) is copied into a standalone
 *   ArrayBuffer first; the copy is counted so the cost shows up in the pool's stats.
 * - Buffers from Buffer.allocUnsafeSlow, Buffer.alloc of 4 KiB and more, readSync into such a
 *   buffer, and the encoder's large outputs are standalone and move for free.
 * - A structured clone of a view (no transfer) would copy its whole ArrayBuffer, 8 KiB for a
 *   pool slice; copying the view's bytes ourselves is never worse.
 * - A Buffer crosses as a plain Uint8Array (the Buffer prototype does not survive a clone);
 *   `asBuffer` gives it back its methods without copying.
 */

export interface Outgoing {
  /** The view to put in the message: the caller's own bytes, or a standalone copy of them. */
  readonly view: Uint8Array<ArrayBuffer>;
  /** The ArrayBuffer to list in transferList. */
  readonly transfer: ArrayBuffer;
  /** Bytes copied to make the view standalone: 0 when the caller's Buffer moves as it is. */
  readonly copiedBytes: number;
}

export function isStandalone(view: Uint8Array): view is Uint8Array<ArrayBuffer> {
  const buffer = view.buffer;
  return buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === buffer.byteLength;
}

/**
 * Prepare `view` to be transferred. When it is standalone, its ArrayBuffer is moved and the
 * caller's view is detached once the message is posted; otherwise it is copied and the caller's
 * view stays as it was.
 */
export function outgoing(view: Uint8Array): Outgoing {
  if (isStandalone(view)) return { view, transfer: view.buffer, copiedBytes: 0 };
  // allocUnsafeSlow never takes from the shared pool and skips zero-filling.
  const copy = Buffer.allocUnsafeSlow(view.byteLength);
  copy.set(view);
  return { view: copy, transfer: copy.buffer, copiedBytes: view.byteLength };
}

/** A Buffer over the same memory as `view` (no copy). */
export function asBuffer(view: Uint8Array): Buffer {
  return Buffer.isBuffer(view) ? view : Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}
