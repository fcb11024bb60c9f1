/** Kafka schema version strings: "3" (only 3), "3+" (3 and later), "0-7", "none". */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

const NONE: VersionRange = { min: 1, max: 0 };

export function parseVersions(text: string): VersionRange {
  if (text === 'none') return NONE;
  if (text.endsWith('+')) return { min: Number(text.slice(0, -1)), max: Number.POSITIVE_INFINITY };
  const dash = text.indexOf('-');
  if (dash > 0) return { min: Number(text.slice(0, dash)), max: Number(text.slice(dash + 1)) };
  const only = Number(text);
  return { min: only, max: only };
}

export function inVersions(text: string | undefined, version: number): boolean {
  if (text === undefined) return false;
  const range = parseVersions(text);
  return version >= range.min && version <= range.max;
}
