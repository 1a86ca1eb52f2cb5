import type { ChatRequest, ChatStreamEvent, ModelProvider } from "../../shared/model-types.js";
import { withoutCredential } from "../../shared/sanitize-upstream.js";
import { credentialFor, type HttpProviderOptions } from "../provider-options.js";
import { readSse } from "../sse.js";
import { errorFromException } from "../upstream-error.js";
import { joinUrl, readUpstreamText, upstreamRequest } from "../upstream-request.js";
import { listAnthropicModels } from "./list-models.js";
import { messageEvents } from "./messages-answer.js";
import { toMessagesRequest } from "./messages-request.js";
import { parseMessagesStream } from "./messages-stream.js";

/** The API version this translation is written against; Anthropic requires it on every request. */
export const anthropicVersion = "2023-06-01";

export interface AnthropicProviderOptions extends HttpProviderOptions {
  /** max_tokens for requests that name none (Anthropic requires one); 4096 when unset. */
  maxOutputTokensDefault?: number;
}

/**
 * Talks to Anthropic's Messages API: streamed, or not streamed for a caller that reads the answer
 * whole (whose usage then comes exact in the body). Chat only: Anthropic offers no embeddings or
 * transcription, so `embed` and `transcribe` are deliberately absent.
 */
export class AnthropicProvider implements ModelProvider {
  readonly kind = "anthropic" as const;
  readonly providerId: string;

  constructor(private readonly options: AnthropicProviderOptions) {
    this.providerId = options.providerId;
  }

  async *streamChat(request: ChatRequest, signal: AbortSignal): AsyncIterable<ChatStreamEvent> {
    const key = await credentialFor(this.options, request.agentId);
    try {
      yield* this.streamWith(key, request, signal);
    } catch (error) {
      throw withoutCredential(error, key);
    }
  }

  private async *streamWith(key: string | undefined, request: ChatRequest, signal: AbortSignal): AsyncIterable<ChatStreamEvent> {
    const whole = request.wholeAnswer === true;
    const body = toMessagesRequest(request, {
      ...(this.options.maxOutputTokensDefault !== undefined && { maxOutputTokensDefault: this.options.maxOutputTokensDefault }),
    });
    const upstream = await upstreamRequest(
      {
        method: "POST",
        url: joinUrl(this.options.baseUrl, "/messages"),
        headers: this.headers(key, whole ? "application/json" : "text/event-stream"),
        body: JSON.stringify(body),
        signal,
        timeoutMs: this.options.requestTimeoutMs,
        ...(this.options.dispatcher !== undefined && { dispatcher: this.options.dispatcher }),
      },
      this.providerId,
    );
    try {
      if (whole) {
        yield* messageEvents(await readUpstreamText(upstream, this.providerId), this.providerId);
        return;
      }
      yield* parseMessagesStream(readSse(upstream.body), this.providerId);
    } catch (error) {
      // Body-read failures (reset, abort, time limit) are classified like failed requests.
      throw errorFromException(error, this.providerId, upstream.signal);
    } finally {
      upstream.release();
    }
  }

  async listModels(signal: AbortSignal): Promise<string[]> {
    const key = await credentialFor(this.options);
    const headers = { "anthropic-version": anthropicVersion, ...(key !== undefined && { "x-api-key": key }) };
    return listAnthropicModels(this.options, headers, signal).catch((error: unknown) => {
      throw withoutCredential(error, key);
    });
  }

  private headers(key: string | undefined, accept: string): Record<string, string> {
    return {
      "content-type": "application/json",
      accept,
      "anthropic-version": anthropicVersion,
      ...(key !== undefined && { "x-api-key": key }),
    };
  }
}
