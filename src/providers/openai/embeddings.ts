import type { EmbeddingsRequest, EmbeddingsResult, Usage } from "../../shared/model-types.js";
import { countTextsTokens } from "../../shared/tokens.js";
import { toUsage } from "./usage.js";
import { errorFromWireError, malformedAnswer } from "./wire-error.js";
import type { WireEmbeddingsRequest, WireEmbeddingsResponse } from "./wire-types.js";

/** The /embeddings body: the batch as given, always as float arrays (base64 would need decoding). */
export function toWireEmbeddingsRequest(request: EmbeddingsRequest): WireEmbeddingsRequest {
  return {
    model: request.upstreamModel,
    input: request.inputs,
    encoding_format: "float",
    ...(request.dimensions !== undefined && { dimensions: request.dimensions }),
    ...(request.user !== undefined && { user: request.user }),
  };
}

/** Reads an /embeddings answer into one vector per input, in input order whatever order the upstream used. */
export async function fromWireEmbeddings(text: string, request: EmbeddingsRequest, providerId: string): Promise<EmbeddingsResult> {
  let body: WireEmbeddingsResponse;
  try {
    body = JSON.parse(text) as WireEmbeddingsResponse;
  } catch {
    throw malformedAnswer(providerId, "the embeddings answer is not valid JSON");
  }
  if (typeof body !== "object" || body === null) throw malformedAnswer(providerId, "the embeddings answer is not a JSON object");
  if (typeof body.error === "object" && body.error !== null) throw errorFromWireError(body.error, providerId, "in its embeddings answer");
  if (!Array.isArray(body.data)) throw malformedAnswer(providerId, "the embeddings answer has no data array");

  const vectors: (number[] | undefined)[] = new Array<number[] | undefined>(request.inputs.length).fill(undefined);
  for (const item of body.data) {
    const index = item.index;
    if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= vectors.length || vectors[index] !== undefined) {
      throw malformedAnswer(providerId, `an embedding has a missing, repeated or out-of-range index (${String(index)})`);
    }
    if (!Array.isArray(item.embedding) || !item.embedding.every((value) => typeof value === "number")) {
      throw malformedAnswer(providerId, `embedding ${index} is not an array of numbers`);
    }
    vectors[index] = item.embedding as number[];
  }
  const missing = vectors.indexOf(undefined);
  if (missing >= 0) throw malformedAnswer(providerId, `the answer has no embedding for input ${missing}`);
  return { vectors: vectors as number[][], usage: body.usage ? toUsage(body.usage) : await estimateUsage(request) };
}

/** Some local servers report no usage; count the inputs so the ledger still sees the call. */
async function estimateUsage(request: EmbeddingsRequest): Promise<Usage> {
  const inputTokens = await countTextsTokens(request.inputs);
  return { inputTokens, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: true };
}
