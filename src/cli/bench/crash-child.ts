import { openFileCount } from './disk-usage.js';
import { EmbeddedTarget } from './embedded-target.js';
import { progressSink } from './progress.js';
import { producePart } from './workload.js';
import type { CrashReport, CrashRequest } from './crash-messages.js';

/**
 * The child of `brook bench --measure-recovery` (forked by recovery.ts, not a CLI command): opens
 * the data directory, creates the topic, runs the produce part of the workload, reports what it
 * measured over IPC, then SIGKILLs itself: a real crash, with no close, no flush of anything not
 * yet written and no clean-shutdown marker. The parent then times the reopen.
 */
async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '') as CrashRequest;
  const { config } = request;
  const target = await EmbeddedTarget.open(config, request.dataDir);
  await target.createTopic(request.topic, config.partitions, config.topicConfig);
  const write = (text: string): void => void (request.progress.stream === 'stdout' ? process.stdout : process.stderr).write(text);
  const outcome = await producePart(target, request.topic, config, progressSink(request.progress, write), request.label);
  const report: CrashReport = {
    kind: 'produced',
    openFiles: openFileCount(),
    outcome:
      outcome === null
        ? null
        : {
            records: outcome.stats.records,
            valueBytes: outcome.stats.valueBytes,
            seconds: outcome.stats.seconds,
            latency: outcome.stats.latency.snapshot(),
            timeline: outcome.stats.timeline,
            latencyKind: outcome.latencyKind,
            lostRecords: outcome.lostRecords,
          },
  };
  process.send!(report, () => process.kill(process.pid, 'SIGKILL'));
}

main().catch((error: unknown) => {
  const report: CrashReport = { kind: 'failed', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  process.send!(report, () => process.exit(1));
});
