import type { GatewayError } from "../../shared/errors.js";
import type {
  ChatRequest,
  ChatStreamEvent,
  EmbeddingsRequest,
  EmbeddingsResult,
  ModelProvider,
  TranscriptionRequest,
  TranscriptionResult,
} from "../../shared/model-types.js";
import { withoutCredential } from "../../shared/sanitize-upstream.js";
import { credentialFor, type HttpProviderOptions } from "../provider-options.js";
import { contentTypeOf, joinUrl, readUpstreamText, type UpstreamResponse, upstreamRequest } from "../upstream-request.js";
import { completionEvents } from "./chat-completion.js";
import { toWireChatRequest } from "./chat-request.js";
import { readChatStream } from "./chat-stream.js";
import { fromWireEmbeddings, toWireEmbeddingsRequest } from "./embeddings.js";
import { listOpenAIModels } from "./list-models.js";
import { fromTranscriptionBody, toTranscriptionForm } from "./transcription.js";
import { errorFromWireError, malformedAnswer } from "./wire-error.js";
import type { WireChatChunk } from "./wire-types.js";

/**
 * Talks to any server with OpenAI's /v1 wire format: OpenAI itself, Groq, Together, vLLM, Ollama,
 * LocalAI. Chat is streamed upstream, so the first token reaches the caller as soon as it exists;
 * a caller that reads the answer whole gets a non-streamed upstream answer, whose usage is exact.
 */
export class OpenAICompatibleProvider implements ModelProvider {
  readonly kind = "openai_compatible" as const;
  readonly providerId: string;

  constructor(private readonly options: HttpProviderOptions) {
    this.providerId = options.providerId;
  }

  async *streamChat(request: ChatRequest, signal: AbortSignal): AsyncIterable<ChatStreamEvent> {
    const key = await credentialFor(this.options, request.agentId);
    const whole = request.wholeAnswer === true;
    const body = JSON.stringify(toWireChatRequest(request));
    try {
      const upstream = await this.send("/chat/completions", body, signal, whole ? "application/json" : "text/event-stream", key);
      try {
        const type = contentTypeOf(upstream);
        // Either way the answer's shape decides how it is read: a server may stream what was asked whole.
        if (type === "text/event-stream" || (!whole && type !== "application/json")) {
          yield* readChatStream(upstream.body, this.providerId, upstream.signal);
        } else {
          const text = await readUpstreamText(upstream, this.providerId);
          if (!whole) throw streamExpected(text, this.providerId);
          yield* completionEvents(text, this.providerId);
        }
      } finally {
        upstream.release();
      }
    } catch (error) {
      throw withoutCredential(error, key);
    }
  }

  async embed(request: EmbeddingsRequest, signal: AbortSignal): Promise<EmbeddingsResult> {
    const key = await credentialFor(this.options, request.agentId);
    try {
      const upstream = await this.send("/embeddings", JSON.stringify(toWireEmbeddingsRequest(request)), signal, "application/json", key);
      return await fromWireEmbeddings(await readUpstreamText(upstream, this.providerId), request, this.providerId);
    } catch (error) {
      throw withoutCredential(error, key);
    }
  }

  async transcribe(request: TranscriptionRequest, signal: AbortSignal): Promise<TranscriptionResult> {
    const key = await credentialFor(this.options, request.agentId);
    const accept = request.responseFormat === "json" || request.responseFormat === "verbose_json" ? "application/json" : "text/plain";
    try {
      const upstream = await this.send("/audio/transcriptions", toTranscriptionForm(request), signal, accept, key);
      return fromTranscriptionBody(await readUpstreamText(upstream, this.providerId), request, this.providerId);
    } catch (error) {
      throw withoutCredential(error, key);
    }
  }

  async listModels(signal: AbortSignal): Promise<string[]> {
    const key = await credentialFor(this.options);
    return listOpenAIModels(this.options, key, signal).catch((error: unknown) => {
      throw withoutCredential(error, key);
    });
  }

  private async send(path: string, body: string | FormData, signal: AbortSignal, accept: string, key: string | undefined): Promise<UpstreamResponse> {
    const headers: Record<string, string> = { accept };
    // FormData bodies get their multipart content type (with boundary) from undici.
    if (typeof body === "string") headers["content-type"] = "application/json";
    if (key !== undefined) headers.authorization = `Bearer ${key}`;
    return upstreamRequest(
      {
        method: "POST",
        url: joinUrl(this.options.baseUrl, path),
        headers,
        body,
        signal,
        timeoutMs: this.options.requestTimeoutMs,
        ...(this.options.dispatcher !== undefined && { dispatcher: this.options.dispatcher }),
      },
      this.providerId,
    );
  }
}

/**
 * A 200 with JSON where an event stream was asked for: proxies and some servers report errors this
 * way, and a server that ignored `stream: true` answered in a shape we did not ask for. Either way
 * it fails. Other content types are read as events, since not every server labels its stream.
 */
function streamExpected(text: string, providerId: string): GatewayError {
  let parsed: WireChatChunk | undefined;
  try {
    parsed = JSON.parse(text) as WireChatChunk;
  } catch {
    // Not JSON either; reported below.
  }
  if (typeof parsed?.error === "object" && parsed.error !== null) return errorFromWireError(parsed.error, providerId, "instead of answering");
  return malformedAnswer(providerId, "expected an event stream, got a JSON body");
}
