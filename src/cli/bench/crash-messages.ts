import type { BenchConfig } from './bench-options.js';
import type { HistogramSnapshot } from './histogram.js';
import type { LatencyKind } from './produce-phase.js';
import type { ProgressMode } from './progress.js';
import type { TimelinePoint } from './timeline.js';

/**
 * What the parent of a crash run (recovery.ts) and its child (crash-child.ts) exchange: the
 * request goes as the child's argument (JSON), the report back over the IPC channel before the
 * child kills itself.
 */
export interface CrashRequest {
  readonly config: BenchConfig;
  readonly dataDir: string;
  readonly topic: string;
  readonly progress: ProgressMode;
  readonly label: string;
}

export interface SerializedOutcome {
  readonly records: number;
  readonly valueBytes: number;
  readonly seconds: number;
  readonly latency: HistogramSnapshot;
  readonly timeline: TimelinePoint[];
  readonly latencyKind: LatencyKind;
  readonly lostRecords: number;
}

export type CrashReport =
  | { readonly kind: 'produced'; readonly outcome: SerializedOutcome | null; readonly openFiles: number | null }
  | { readonly kind: 'failed'; readonly message: string };
