import { registerAdminHandlers } from './admin.js';
import { registerApiVersionsHandler } from './api-versions.js';
import { registerFetchHandler } from './fetch.js';
import { registerGroupHandlers } from './groups.js';
import { registerListOffsetsHandler } from './list-offsets.js';
import { registerMetadataHandler } from './metadata.js';
import { registerProduceHandlers } from './produce.js';
import { HandlerRegistry } from './registry.js';

/** Every API in protocol/api-table.ts has its handler here. */
export const defaultHandlers = new HandlerRegistry();
registerApiVersionsHandler(defaultHandlers);
registerMetadataHandler(defaultHandlers);
registerProduceHandlers(defaultHandlers);
registerFetchHandler(defaultHandlers);
registerListOffsetsHandler(defaultHandlers);
registerGroupHandlers(defaultHandlers);
registerAdminHandlers(defaultHandlers);
