import { create, type DescMessage, type DescMethod, isMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ContextValues,
  createHandlerContext,
  type HandlerContext,
  type Interceptor,
  type StreamRequest,
  type StreamResponse,
  type Transport,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { collectProcedures } from "./procedures.js";

// Connect's interceptor chain is typed over its request/response unions; these are its two halves.
type AnyRequest = UnaryRequest | StreamRequest;
type AnyResponse = UnaryResponse | StreamResponse;
type AnyFn = (request: AnyRequest) => Promise<AnyResponse>;

/**
 * A Connect transport that calls the RPC implementations in this process with message objects: no
 * serialisation, no byte streams. Clients made with it (createClient) run each call through the same
 * interceptors (errors, auth) and the same implementations as the gRPC listener, so /v1 requests take
 * exactly the path RPC calls take. Request-scoped values (the credential /v1 already verified) travel
 * in the call's contextValues.
 */
export function createInProcessTransport(routes: (router: ConnectRouter) => void, interceptors: readonly Interceptor[]): Transport {
  const procedures = collectProcedures(routes);
  const chain = (innermost: AnyFn): AnyFn => interceptors.reduceRight<AnyFn>((next, interceptor) => interceptor(next as never) as AnyFn, innermost);

  function begin(
    method: DescMethod,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    header: ConstructorParameters<typeof Headers>[0] | undefined,
    values: ContextValues | undefined,
  ) {
    const procedure = procedures.get(method);
    if (procedure === undefined) throw new ConnectError(`${method.parent.typeName}.${method.name} is not served in process`, Code.Unimplemented);
    const context = createHandlerContext({
      service: method.parent,
      method,
      protocolName: "in-process",
      requestMethod: "POST",
      url: `/${method.parent.typeName}/${method.name}`,
      ...(timeoutMs !== undefined && { timeoutMs }),
      ...(signal !== undefined && { requestSignal: signal }),
      ...(header !== undefined && { requestHeader: header }),
      ...(values !== undefined && { contextValues: values }),
    });
    const common = {
      service: method.parent,
      requestMethod: "POST",
      url: context.url,
      signal: context.signal,
      header: context.requestHeader,
      contextValues: context.values,
    };
    const replyCommon = { service: method.parent, header: context.responseHeader, trailer: context.responseTrailer };
    // Interceptors may replace the signal, headers or values: the implementation sees the request's.
    const handlerContext = (request: AnyRequest): HandlerContext => ({
      ...context,
      requestHeader: request.header,
      signal: request.signal,
      values: request.contextValues,
    });
    return { procedure, common, replyCommon, handlerContext };
  }

  return {
    async unary(method, signal, timeoutMs, header, input, contextValues) {
      const { procedure, common, replyCommon, handlerContext } = begin(method, signal, timeoutMs, header, contextValues);
      const call = chain(async (request) => {
        const output = await procedure.impl(request.message, handlerContext(request));
        return {
          ...replyCommon,
          stream: false,
          method,
          message: asMessage(method.output as DescMessage, output as MessageInitShape<DescMessage>),
        } as UnaryResponse;
      });
      const request = { ...common, stream: false, method, message: asMessage(method.input, input) } as UnaryRequest;
      return (await call(request)) as never;
    },

    async stream(method, signal, timeoutMs, header, input, contextValues) {
      const { procedure, common, replyCommon, handlerContext } = begin(method, signal, timeoutMs, header, contextValues);
      const call = chain(async (request) => {
        const messages = request.message as AsyncIterable<MessageShape<DescMessage>>;
        const context = handlerContext(request);
        const output = method.methodKind === "server_streaming" ? procedure.impl(await single(messages, method), context) : procedure.impl(messages, context);
        const answers = outputs(method.output, method.methodKind === "client_streaming" ? once(output) : output, context.signal);
        return { ...replyCommon, stream: true, method, message: answers } as StreamResponse;
      });
      const request = { ...common, stream: true, method, message: inputs(method.input, input) } as StreamRequest;
      return (await call(request)) as never;
    },
  };
}

/** Implementations may return init objects; callers always get messages, as over the wire. */
function asMessage<Desc extends DescMessage>(schema: Desc, value: MessageInitShape<Desc>): MessageShape<Desc> {
  return isMessage(value, schema) ? (value as MessageShape<Desc>) : create(schema, value);
}

async function* inputs(schema: DescMessage, values: AsyncIterable<MessageInitShape<DescMessage>>): AsyncIterable<MessageShape<DescMessage>> {
  for await (const value of values) yield asMessage(schema, value);
}

/**
 * The implementation's answers as messages, until the call's signal aborts: then the implementation's
 * iterator is closed (its finally blocks run) and the caller's pending read fails CANCELED, as when a
 * client abandons a call on the wire. Connect's clients stop a stream through that signal.
 */
async function* outputs(schema: DescMessage, values: unknown, signal: AbortSignal): AsyncIterable<MessageShape<DescMessage>> {
  const iterator = (values as AsyncIterable<MessageInitShape<DescMessage>>)[Symbol.asyncIterator]();
  const close = () => void iterator.return?.()?.catch(() => undefined);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    // The caller may have stopped reading (no next() pending): close the implementation now.
    onAbort = () => {
      reject(new ConnectError("the call was cancelled", Code.Canceled));
      close();
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), aborted]);
      if (next.done) return;
      yield asMessage(schema, next.value);
    }
  } finally {
    if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
    // Runs when the stream ends early for any reason; a finished iterator ignores it.
    close();
  }
}

async function* once(result: unknown): AsyncIterable<unknown> {
  yield await result;
}

async function single(messages: AsyncIterable<MessageShape<DescMessage>>, method: DescMethod): Promise<MessageShape<DescMessage>> {
  const iterator = messages[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) throw new ConnectError(`${method.name} needs one request message`, Code.InvalidArgument);
  const second = await iterator.next();
  if (!second.done) throw new ConnectError(`${method.name} takes exactly one request message`, Code.InvalidArgument);
  return first.value;
}
