import type { MessageName } from '../../protocol/schema/schema-types.js';
import type { Handler } from '../request-context.js';

/** API key → its handler; each handler file registers its APIs here. */
export type AnyHandler = Handler<MessageName, MessageName>;

export class HandlerRegistry {
  readonly #handlers = new Map<number, AnyHandler>();

  register<Req extends MessageName, Res extends MessageName>(apiKey: number, handler: Handler<Req, Res>): this {
    this.#handlers.set(apiKey, handler as unknown as AnyHandler);
    return this;
  }

  get(apiKey: number): AnyHandler | undefined {
    return this.#handlers.get(apiKey);
  }
}
