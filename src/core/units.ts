/** Byte and time units, so that constants read as what they mean. */
export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** Java's Long.MAX_VALUE, Kafka's "never" for flush and compaction-lag settings. */
export const LONG_MAX = 9_223_372_036_854_775_807n;
/** Java's Integer.MAX_VALUE: the largest relative offset a segment index can store. */
export const INT32_MAX = 2_147_483_647;
