import { EngineError } from '../../core/errors.js';
import type { CommandSpec } from '../command.js';

// PLACEHOLDER: being written; replaced before this lands.
export const consumeCommand: CommandSpec = { name: 'consume', summary: 'not written yet', flags: {}, run: () => Promise.reject(new EngineError('CONFIG_INVALID', 'not written yet')) };
