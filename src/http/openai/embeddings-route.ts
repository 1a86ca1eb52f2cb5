import type { RequestHandler } from "express";
import { z } from "zod";
import { maxEmbeddingDimensions } from "../../runs/unary-input.js";
import { rpcCallOptions } from "../require-credential.js";
import type { RpcClients } from "../rpc-clients.js";
import { costHeader, runHeaders } from "./palyra-headers.js";
import { parseOpenAIBody } from "./parse-body.js";

const embeddingsRequestSchema = z.object({
  model: z.string().optional(),
  input: z.union([z.string(), z.array(z.string())], {
    error: "must be a string or an array of strings (token arrays are not supported)",
  }),
  dimensions: z.number().int().positive().max(maxEmbeddingDimensions, `must be at most ${maxEmbeddingDimensions}`).optional(),
  encoding_format: z.enum(["float", "base64"]).optional(),
  user: z.string().optional(),
});

/** POST /v1/embeddings, through GatewayService.Embed. */
export function embeddingsRoute(clients: RpcClients): RequestHandler {
  return async (req, res) => {
    const request = parseOpenAIBody(embeddingsRequestSchema, req.body);
    const response = await clients.gateway.embed(
      {
        model: request.model ?? "",
        inputs: typeof request.input === "string" ? [request.input] : request.input,
        ...(request.dimensions !== undefined && { dimensions: request.dimensions }),
        userId: request.user ?? "",
        agentId: req.get("x-palyra-agent-id") ?? "",
        sessionId: req.get("x-palyra-session-id") ?? "",
        clientRequestId: req.get("x-request-id") ?? "",
      },
      rpcCallOptions(req),
    );
    const base64 = request.encoding_format === "base64";
    const promptTokens = response.usage?.inputTokens ?? 0;
    res.set({ ...runHeaders(response.runId, response.modelId, response.providerId), ...costHeader(response.costUsd) }).json({
      object: "list",
      data: response.embeddings.map((embedding, index) => ({
        object: "embedding",
        index,
        // OpenAI's base64 form is the little-endian float32 array, which is what the SDKs decode.
        embedding: base64 ? Buffer.from(new Float32Array(embedding.values).buffer).toString("base64") : embedding.values,
      })),
      model: response.modelId,
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens, cost_usd: response.costUsd },
    });
  };
}
