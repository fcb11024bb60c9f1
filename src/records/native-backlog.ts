// Node's own, not the global: a test's fake timers replace the global, and a turn that never
// comes would hold every acknowledgement of this thread for good.
import { setImmediate } from 'node:timers';
import { assert } from '../core/assert.js';
import { MiB } from '../core/units.js';

/**
 * Native output not yet freed: bytes of the external Buffers lz4-napi returned on this thread
 * since its event loop last turned.
 *
 * lz4-napi hands every compressSync result to JavaScript as an external Buffer, and Node frees
 * an external Buffer's memory only from the event loop (native-notes.md, "LZ4"): after V8 collects
 * it, the finalizer waits for an immediate. Code that only awaits promises that are already
 * settled never reaches that point, so the outputs pile up outside V8's heap, every new one is
 * fresh memory, and on the reference VM fresh memory is slow: an embedded producer sending
 * poorly compressible records in such a loop ran at 0.14 M 1 KiB records/s, against about
 * 1 M/s when the loop yields (same run, see native-notes.md "LZ4 output backlog").
 *
 * The producer asks `nativeBacklogTurn()` before it acknowledges a batch: past
 * NATIVE_BACKLOG_BYTES_MAX, the acknowledgement waits for one turn of the event loop, which runs
 * the pending finalizers. Once asked for, a turn stays in force until it has come, so a batch
 * acknowledged later (same partition) never overtakes one that is waiting. Per thread (module
 * state): each worker counts its own.
 */
export const NATIVE_BACKLOG_BYTES_MAX = 32 * MiB;

let backlogBytes = 0;
let turnScheduled = false;
let turn: Promise<void> | null = null;

function turned(): void {
  backlogBytes = 0;
  turnScheduled = false;
}

/** Count `bytes` of native output created now; they count until the event loop next turns. */
export function noteNativeOutput(bytes: number): void {
  assert(bytes >= 0, `native output of ${bytes} bytes`);
  backlogBytes += bytes;
  if (turnScheduled) return;
  turnScheduled = true;
  // unref: the reset must not keep a process alive on its own.
  setImmediate(turned).unref();
}

export function nativeBacklogBytes(): number {
  return backlogBytes;
}

/**
 * null while the backlog is within NATIVE_BACKLOG_BYTES_MAX; past it, a promise that settles
 * once the event loop has turned (one promise shared by every caller until then).
 */
export function nativeBacklogTurn(): Promise<void> | null {
  if (turn !== null) return turn;
  if (backlogBytes <= NATIVE_BACKLOG_BYTES_MAX) return null;
  turn = new Promise<void>((resolve) =>
    setImmediate(() => {
      turn = null;
      resolve();
    }),
  );
  return turn;
}
