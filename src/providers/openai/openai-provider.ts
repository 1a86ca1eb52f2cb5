import { credentialFor, type HttpProviderOptions } from "../provider-options.js";
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
import { errorFromException } from "../upstream-error.js";
import { joinUrl, type UpstreamResponse, upstreamFetch } from "../upstream-fetch.js";
import { toWireChatRequest } from "./chat-request.js";
import { readChatStream } from "./chat-stream.js";
import { fromWireEmbeddings, toWireEmbeddingsRequest } from "./embeddings.js";
import { listOpenAIModels } from "./list-models.js";
import { fromTranscriptionBody, toTranscriptionForm } from "./transcription.js";
import { errorFromWireError, malformedAnswer } from "./wire-error.js";
import type { WireChatChunk } from "./wire-types.js";

/**
 * Talks to any server with OpenAI's /v1 wire format: OpenAI itself, Groq, Together, vLLM, Ollama,
 * LocalAI. Chat is always streamed upstream, so the first token reaches the caller as soon as it exists.
 */
export class OpenAICompatibleProvider implements ModelProvider {
  readonly kind = "openai_compatible" as const;
  readonly providerId: string;

  constructor(private readonly options: HttpProviderOptions) {
    this.providerId = options.providerId;
  }

  async *streamChat(request: ChatRequest, signal: AbortSignal): AsyncIterable<ChatStreamEvent> {
    const key = await credentialFor(this.options, request.agentId);
    const body = JSON.stringify(toWireChatRequest(request));
    try {
      const { response, signal: upstreamSignal, release } = await this.send("/chat/completions", body, signal, "text/event-stream", key);
      try {
        if (isJson(response)) await this.rejectJson(response, upstreamSignal);
        if (response.body === null) throw malformedAnswer(this.providerId, "the chat answer has no body");
        yield* readChatStream(response.body, this.providerId, upstreamSignal);
      } finally {
        release();
      }
    } catch (error) {
      throw withoutCredential(error, key);
    }
  }

  async embed(request: EmbeddingsRequest, signal: AbortSignal): Promise<EmbeddingsResult> {
    const key = await credentialFor(this.options, request.agentId);
    try {
      const upstream = await this.send("/embeddings", JSON.stringify(toWireEmbeddingsRequest(request)), signal, "application/json", key);
      return await fromWireEmbeddings(await this.readText(upstream), request, this.providerId);
    } catch (error) {
      throw withoutCredential(error, key);
    }
  }

  async transcribe(request: TranscriptionRequest, signal: AbortSignal): Promise<TranscriptionResult> {
    const key = await credentialFor(this.options, request.agentId);
    const accept = request.responseFormat === "json" || request.responseFormat === "verbose_json" ? "application/json" : "text/plain";
    try {
      const upstream = await this.send("/audio/transcriptions", toTranscriptionForm(request), signal, accept, key);
      return fromTranscriptionBody(await this.readText(upstream), request, this.providerId);
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
    // FormData bodies get their multipart content type (with boundary) from fetch.
    if (typeof body === "string") headers["content-type"] = "application/json";
    if (key !== undefined) headers.authorization = `Bearer ${key}`;
    return upstreamFetch(
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

  private async readText({ response, signal, release }: Pick<UpstreamResponse, "response" | "signal"> & { release?: () => void }): Promise<string> {
    try {
      return await response.text();
    } catch (error) {
      throw errorFromException(error, this.providerId, signal);
    } finally {
      release?.();
    }
  }

  /**
   * A 200 with JSON where an event stream was asked for: proxies and some servers report errors this
   * way, and a server that ignored `stream: true` answered in a shape we did not ask for. Either way
   * it fails. Other content types are read as events, since not every server labels its stream.
   */
  private async rejectJson(response: Response, signal: AbortSignal): Promise<never> {
    const text = await this.readText({ response, signal });
    let parsed: WireChatChunk | undefined;
    try {
      parsed = JSON.parse(text) as WireChatChunk;
    } catch {
      // Not JSON either; reported below.
    }
    if (typeof parsed?.error === "object" && parsed.error !== null) throw errorFromWireError(parsed.error, this.providerId, "instead of answering");
    throw malformedAnswer(this.providerId, "expected an event stream, got a JSON body");
  }
}

function isJson(response: Response): boolean {
  return (response.headers.get("content-type") ?? "").toLowerCase().includes("application/json");
}
