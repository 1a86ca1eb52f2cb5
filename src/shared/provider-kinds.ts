/** What an auth profile authenticates: a provider family, whose credentials some provider kinds can use. */
export const profileProviderKinds = ["openai", "anthropic", "openai_compatible"] as const;
export type ProfileProviderKind = (typeof profileProviderKinds)[number];

/** What the layers below providers/ need to know of a provider kind. */
interface ProviderKindTraits {
  /** "http" kinds call an upstream: they need a base_url, a credential source and a guarded pool; "in_process" kinds answer inside the daemon. */
  upstream: "in_process" | "http";
  /** The auth-profile kinds whose credentials a provider of this kind can use. */
  profileKinds: readonly ProfileProviderKind[];
}

/**
 * The provider kinds palyra.toml accepts, with their traits. providers/index.ts maps every kind to its folder, and its
 * type requires exactly these keys: a kind named here and not there, or there and not here, fails the type check.
 * (Config sits below providers/ and validates `kind` against this table, so the names live here, not in the map.)
 */
export const providerKindTable = {
  deterministic: { upstream: "in_process", profileKinds: [] },
  openai_compatible: { upstream: "http", profileKinds: ["openai", "openai_compatible"] },
  anthropic: { upstream: "http", profileKinds: ["anthropic"] },
} as const satisfies Record<string, ProviderKindTraits>;

export type ProviderKind = keyof typeof providerKindTable;

/** Every provider kind, in the table's order (the order config errors list them in). */
export const providerKinds = Object.keys(providerKindTable) as [ProviderKind, ...ProviderKind[]];

/** Whether providers of this kind call an HTTP upstream (and so need a base_url); the others answer in process. */
export function callsHttpUpstream(kind: ProviderKind): boolean {
  return providerKindTable[kind].upstream === "http";
}

/** Whether a provider of `kind` can use the credentials of an auth profile of `profileKind`. */
export function acceptsProfileKind(kind: ProviderKind, profileKind: ProfileProviderKind): boolean {
  return (providerKindTable[kind].profileKinds as readonly ProfileProviderKind[]).includes(profileKind);
}

/** The provider kind that speaks to a profile kind's upstream: the first in the table that accepts its credentials. */
export function providerKindForProfile(profileKind: ProfileProviderKind): ProviderKind {
  const kind = providerKinds.find((candidate) => acceptsProfileKind(candidate, profileKind));
  if (kind === undefined) throw new Error(`no provider kind accepts "${profileKind}" profiles`);
  return kind;
}
