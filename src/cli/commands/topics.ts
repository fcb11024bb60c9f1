import { EngineError } from '../../core/errors.js';
import type { CommandSpec } from '../command.js';

// PLACEHOLDER: being written; replaced before this lands.
export const topicsCreate: CommandSpec = { name: 'topics', summary: 'not written yet', flags: {}, run: () => Promise.reject(new EngineError('CONFIG_INVALID', 'not written yet')) };
export const topicsList: CommandSpec = { name: 'topics', summary: 'not written yet', flags: {}, run: () => Promise.reject(new EngineError('CONFIG_INVALID', 'not written yet')) };
export const topicsDescribe: CommandSpec = { name: 'topics', summary: 'not written yet', flags: {}, run: () => Promise.reject(new EngineError('CONFIG_INVALID', 'not written yet')) };
export const topicsDelete: CommandSpec = { name: 'topics', summary: 'not written yet', flags: {}, run: () => Promise.reject(new EngineError('CONFIG_INVALID', 'not written yet')) };
export const topicsAlter: CommandSpec = { name: 'topics', summary: 'not written yet', flags: {}, run: () => Promise.reject(new EngineError('CONFIG_INVALID', 'not written yet')) };
export const topicsAddPartitions: CommandSpec = { name: 'topics', summary: 'not written yet', flags: {}, run: () => Promise.reject(new EngineError('CONFIG_INVALID', 'not written yet')) };
