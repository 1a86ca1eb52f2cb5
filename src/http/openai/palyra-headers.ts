/** What a run cost, in USD (a header on answers, a trailer on streams, whose headers go out first). */
export const costHeaderName = "x-palyra-cost-usd";

export function costHeader(costUsd: number): Record<string, string> {
  return { [costHeaderName]: costUsd.toFixed(8) };
}

/** Headers every answered /v1 request carries: which run served it, with which model and provider. */
export function runHeaders(runId: string, modelId: string, providerId: string): Record<string, string> {
  return { "x-palyra-run-id": runId, "x-palyra-model": modelId, "x-palyra-provider": providerId };
}
