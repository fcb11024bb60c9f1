import { EngineError } from '../../core/errors.js';
import type { CommandSpec } from '../command.js';

// PLACEHOLDER: being written; replaced before this lands.
export const dumpCommand: CommandSpec = { name: 'dump', summary: 'not written yet', flags: {}, run: () => Promise.reject(new EngineError('CONFIG_INVALID', 'not written yet')) };
