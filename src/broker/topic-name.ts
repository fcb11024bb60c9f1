import { EngineError } from '../core/errors.js';

/**
 * Topic names as Kafka validates them (Topic.validate): 1 to 249 characters from [a-zA-Z0-9._-],
 * not "." or "..". Names that differ only by '.' versus '_' collide in metric names, so Kafka
 * refuses a topic whose name collides with an existing one that way.
 */
export const TOPIC_NAME_LENGTH_MAX = 249;
const LEGAL = /^[a-zA-Z0-9._-]+$/;

export function validateTopicName(name: string): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new EngineError('INVALID_TOPIC', 'topic name is empty: give a name of 1 to 249 characters');
  }
  if (name === '.' || name === '..') {
    throw new EngineError('INVALID_TOPIC', `topic name "${name}" is not allowed: "." and ".." are reserved`);
  }
  if (name.length > TOPIC_NAME_LENGTH_MAX) {
    throw new EngineError('INVALID_TOPIC', `topic name is ${name.length} characters: the limit is ${TOPIC_NAME_LENGTH_MAX}`);
  }
  if (!LEGAL.test(name)) {
    throw new EngineError(
      'INVALID_TOPIC',
      `topic name "${name}" has illegal characters: use only ASCII letters, digits, '.', '_' and '-'`,
    );
  }
}

/** The form under which '.' and '_' collide. */
export function collisionKey(name: string): string {
  return name.replaceAll('.', '_');
}
