/**
 * The provider kinds palyra.toml accepts, each with the one fact the layers below providers/ need of it: whether it
 * answers in process or calls an HTTP upstream (which needs a base_url, a credential source and a guarded pool).
 * providers/index.ts maps every kind to its folder, and its type requires exactly these keys: a kind named here and
 * not there, or there and not here, fails the type check. Config validates `kind` against this table.
 */
export const providerKindUpstreams = {
  deterministic: "in_process",
  openai_compatible: "http",
  anthropic: "http",
} as const satisfies Record<string, "in_process" | "http">;

export type ProviderKind = keyof typeof providerKindUpstreams;

/** Every provider kind, in the table's order (the order config errors list them in). */
export const providerKinds = Object.keys(providerKindUpstreams) as [ProviderKind, ...ProviderKind[]];

/** Whether providers of this kind call an HTTP upstream (and so need a base_url); the others answer in process. */
export function callsHttpUpstream(kind: ProviderKind): boolean {
  return providerKindUpstreams[kind] === "http";
}
