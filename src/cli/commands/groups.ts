import { EngineError } from '../../core/errors.js';
import type { CommandSpec } from '../command.js';

// PLACEHOLDER: being written; replaced before this lands.
export const groupsList: CommandSpec = { name: 'groups', summary: 'not written yet', flags: {}, run: () => Promise.reject(new EngineError('CONFIG_INVALID', 'not written yet')) };
export const groupsDescribe: CommandSpec = { name: 'groups', summary: 'not written yet', flags: {}, run: () => Promise.reject(new EngineError('CONFIG_INVALID', 'not written yet')) };
export const groupsResetOffsets: CommandSpec = { name: 'groups', summary: 'not written yet', flags: {}, run: () => Promise.reject(new EngineError('CONFIG_INVALID', 'not written yet')) };
