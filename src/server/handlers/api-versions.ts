import { API_KEYS, SERVED_APIS } from '../../protocol/api-table.js';
import { KAFKA } from '../kafka-errors.js';
import type { HandlerRegistry } from './registry.js';

/** ApiVersions: the advertised table (api-table.ts). Any client software name is accepted. */
export function registerApiVersionsHandler(registry: HandlerRegistry): void {
  const apiKeys = SERVED_APIS.map((entry) => ({ apiKey: entry.key, minVersion: entry.minVersion, maxVersion: entry.maxVersion }));
  registry.register<'ApiVersionsRequest', 'ApiVersionsResponse'>(API_KEYS.ApiVersions, () => ({
    errorCode: KAFKA.NONE,
    apiKeys,
    throttleTimeMs: 0,
  }));
}
