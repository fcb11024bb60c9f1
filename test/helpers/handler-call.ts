import { expect } from 'vitest';
import { codecFor } from '../../src/protocol/codec.js';
import type { Decoded, Encodable, MessageName } from '../../src/protocol/schema/schema-types.js';
import { WireReader } from '../../src/protocol/wire/reader.js';
import { WireWriter } from '../../src/protocol/wire/writer.js';
import type { HandlerRegistry } from '../../src/server/handlers/registry.js';
import { NO_RESPONSE, type RequestContext, type ServerState } from '../../src/server/request-context.js';

/**
 * Calls a request handler the way the server does, with both directions through the codec at
 * the given version: the request is encoded and decoded before the handler sees it, the response
 * encoded and decoded before the test does, and each must use every byte.
 */
export type HandlerCall = <Req extends MessageName, Res extends MessageName>(
  apiKey: number,
  version: number,
  names: readonly [Req, Res],
  body: Encodable<Req>,
  clientId?: string | null,
) => Promise<Decoded<Res>>;

export function handlerCaller(
  state: ServerState,
  registry: HandlerRegistry,
  settle: <T>(pending: Promise<T>) => Promise<T> = (pending) => pending,
): HandlerCall {
  let correlationId = 0;
  return async <Req extends MessageName, Res extends MessageName>(
    apiKey: number,
    version: number,
    [requestName, responseName]: readonly [Req, Res],
    body: Encodable<Req>,
    clientId: string | null = 'test-client',
  ): Promise<Decoded<Res>> => {
    const requestWriter = new WireWriter();
    codecFor(requestName, version).encode(requestWriter, body);
    const requestReader = new WireReader(requestWriter.toBuffer());
    const request = codecFor(requestName, version).decode(requestReader);
    expect(requestReader.remaining).toBe(0);
    const handler = registry.get(apiKey);
    if (handler === undefined) throw new Error(`no handler for API key ${apiKey}`);
    const context: RequestContext = {
      state,
      header: { apiKey, apiVersion: version, correlationId: correlationId++, clientId },
      clientHost: '/127.0.0.1',
    };
    const response = await settle(Promise.resolve(handler(context, request as unknown as Decoded<MessageName>)));
    if (response === NO_RESPONSE) throw new Error(`API key ${apiKey} answered with no response`);
    const responseWriter = new WireWriter();
    codecFor(responseName, version).encode(responseWriter, response as unknown as Encodable<Res>);
    const responseReader = new WireReader(responseWriter.toBuffer());
    const decoded = codecFor(responseName, version).decode(responseReader);
    expect(responseReader.remaining).toBe(0);
    return decoded;
  };
}
