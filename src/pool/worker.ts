import { move, transferableSymbol, valueSymbol } from 'piscina';
import { unreachable } from '../core/assert.js';
import type { DecodedColumns } from './decode-columns.js';
import type { WorkerRequest, WorkerResponse } from './messages.js';
import { compactionTask, compactionTransferList } from './compaction-task.js';
import { recoveryScanTask } from './recovery-task.js';
import {
  compressTask,
  decodeBatchesTask,
  decompressTask,
  encodeBatchTask,
  sealBatchTask,
  type TaskResult,
  validateBatchTask,
} from './tasks.js';
import { asBuffer, outgoing } from './transfer.js';

/**
 * The piscina worker entry (loaded from dist/src/pool/worker.js; see pool.ts). It unpacks a
 * WorkerRequest, runs the task function from tasks.ts, and returns a WorkerResponse wrapped by
 * Piscina.move so every ArrayBuffer in it is transferred back, not cloned.
 *
 * - Stateless: any worker may take any task, so piscina's default balancing is used.
 * - Imports only core, records, the pool's own modules and, for the recovery scan and
 *   compaction, storage's scan, compactor and FileIO (style item 17).
 * - An output that is a slice of this thread's shared Buffer pool is copied first (transferring
 *   the pool would break every later Buffer.allocUnsafe here), and the copy is reported.
 */

function moving(response: WorkerResponse, transferList: ArrayBuffer[]): unknown {
  return move({ [transferableSymbol]: transferList, [valueSymbol]: response });
}

function bufferResult(
  kind: 'encode' | 'seal' | 'compress' | 'decompress',
  result: TaskResult<Buffer>,
  spent?: ArrayBuffer,
): unknown {
  const returned = spent === undefined ? {} : { spent };
  const spentList = spent === undefined ? [] : [spent];
  if (!result.ok) return moving({ kind, result, copiedBytes: 0, ...returned }, spentList);
  const out = outgoing(result.value);
  const response = { kind, result: { ok: true as const, value: out.view }, copiedBytes: out.copiedBytes, ...returned };
  return moving(response, [out.transfer, ...spentList]);
}

/**
 * The columns' ArrayBuffers, each once. Empty columns share a zero-length buffer, which must not
 * be transferred (that would detach it for the next decode); cloning it costs nothing.
 */
function columnBuffers(columns: DecodedColumns): ArrayBuffer[] {
  const { inflated, offsets, timestamps, fields, headerFields, batches } = columns;
  const views = [inflated, offsets, timestamps, fields, headerFields, batches];
  const buffers = new Set<ArrayBuffer>();
  for (const view of views) if (view.buffer.byteLength > 0) buffers.add(view.buffer as ArrayBuffer);
  return [...buffers];
}

export default function runTask(request: WorkerRequest): unknown {
  switch (request.kind) {
    case 'noop':
      return moving({ kind: 'noop', bytes: request.bytes }, [request.bytes.buffer as ArrayBuffer]);
    case 'validate': {
      const result = validateBatchTask(asBuffer(request.batch), {
        decompressedBytesLimit: request.decompressedBytesLimit,
      });
      return moving({ kind: 'validate', batch: request.batch, result }, [request.batch.buffer as ArrayBuffer]);
    }
    case 'decode': {
      const result = decodeBatchesTask(asBuffer(request.bytes), {
        decompressedBytesLimit: request.decompressedBytesLimit,
        crcChecked: request.crcChecked,
      });
      const transferList = [request.bytes.buffer as ArrayBuffer];
      if (result.ok) transferList.push(...columnBuffers(result.value));
      return moving({ kind: 'decode', bytes: request.bytes, result }, transferList);
    }
    case 'encode': {
      // The output never shares memory with the packed buffer, which goes back to be reused.
      const result = encodeBatchTask({ packed: request.packed, options: request.options });
      return bufferResult('encode', result, request.packed.buffer);
    }
    case 'seal': {
      const section = asBuffer(request.section);
      const result = sealBatchTask({ section, options: request.options, values: request.values });
      return bufferResult('seal', result, request.section.buffer as ArrayBuffer);
    }
    case 'compress':
      return bufferResult('compress', compressTask({ codec: request.codec, section: asBuffer(request.section) }));
    case 'decompress':
      return bufferResult(
        'decompress',
        decompressTask({
          codec: request.codec,
          compressed: asBuffer(request.compressed),
          decompressedBytesLimit: request.decompressedBytesLimit,
        }),
      );
    case 'recovery-scan': {
      const result = recoveryScanTask({ path: request.path, fileBytes: request.fileBytes });
      return moving({ kind: 'recovery-scan', result }, result.ok ? [result.value.batches.buffer] : []);
    }
    case 'compaction': {
      const result = compactionTask(request.job);
      return moving({ kind: 'compaction', result }, result.ok ? compactionTransferList(result.value) : []);
    }
    default:
      return unreachable(request);
  }
}
