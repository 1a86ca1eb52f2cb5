import type { CircuitSnapshot } from "../../registry/circuit-breaker.js";
import type { ModelRegistry, RegisteredModel } from "../../registry/model-registry.js";
import { fitsContext, type RequestNeeds } from "../../registry/route-candidates.js";

/** Which capable model a complexity band asks for. */
export type ModelTarget = "cheapest" | "default" | "strongest";

export interface ModelChoiceInputs {
  registry: ModelRegistry;
  needs: RequestNeeds;
  /** The model the request gets without smart routing; deterministic models are candidates only when it is one. */
  baseline: RegisteredModel | undefined;
  circuitOf: (providerId: string) => CircuitSnapshot;
  healthRankOf: (providerId: string) => number;
  /** Whether the caller's budgets still allow a model; absent: every model is. */
  withinBudget?: ((model: RegisteredModel) => Promise<boolean>) | undefined;
}

export interface ModelChoice {
  model: RegisteredModel;
  /** False only when no capable model is within budget, so the best one over budget was chosen. */
  withinBudget: boolean;
  /** Better-ranked capable models passed over because the caller's budgets would refuse the request on them. */
  overBudget: RegisteredModel[];
}

/**
 * Enabled chat models that can serve the request: the tools, images and JSON mode it needs and a
 * large enough context window. Discovered models (abilities unknown) are left out, and so are
 * deterministic ones unless the request would be served by one anyway: an echo is no stand-in.
 */
export function capableModels(inputs: ModelChoiceInputs): RegisteredModel[] {
  const { registry, needs, baseline } = inputs;
  const localAllowed = baseline === undefined || registry.providerOf(baseline).kind === "deterministic";
  return registry
    .listModels({ role: "chat" })
    .filter(
      (model) =>
        !model.discovered &&
        (localAllowed || registry.providerOf(model).kind !== "deterministic") &&
        (!needs.tools || model.capabilities.toolCalls) &&
        (!needs.vision || model.capabilities.vision) &&
        (!needs.jsonMode || model.capabilities.jsonMode) &&
        fitsContext(needs, model.maxContextTokens),
    );
}

/**
 * The capable model for a target. A model within the caller's budget comes first (a hard limit would
 * refuse the others), then availability — circuit not open, the healthiest provider, a fully closed
 * circuit — and only then the target:
 * "cheapest" is the lowest cost tier, "strongest" the highest (ties: the lower latency tier), "default"
 * is `reference` (the default model) or the model nearest its cost tier. Undefined when none is capable.
 */
export async function chooseModel(inputs: ModelChoiceInputs, target: ModelTarget, reference: RegisteredModel | undefined): Promise<ModelChoice | undefined> {
  const ranked = capableModels(inputs)
    .map((model) => ({ model, key: [...availabilityKey(model, inputs), ...targetKey(model, target, reference)] }))
    .sort((a, b) => compareKeys(a.key, b.key) || a.model.modelId.localeCompare(b.model.modelId))
    .map(({ model }) => model);
  const first = ranked[0];
  if (first === undefined) return undefined;
  // Budgets are asked lazily, best first: usually the first candidate is within budget and the only one asked.
  if (inputs.withinBudget === undefined) return { model: first, withinBudget: true, overBudget: [] };
  const overBudget: RegisteredModel[] = [];
  for (const model of ranked) {
    if (await inputs.withinBudget(model)) return { model, withinBudget: true, overBudget };
    overBudget.push(model);
  }
  return { model: first, withinBudget: false, overBudget: [] };
}

function availabilityKey(model: RegisteredModel, inputs: ModelChoiceInputs): number[] {
  const circuit = inputs.circuitOf(model.providerId).state;
  return [circuit === "open" ? 1 : 0, inputs.healthRankOf(model.providerId), circuit === "half_open" ? 1 : 0];
}

function targetKey(model: RegisteredModel, target: ModelTarget, reference: RegisteredModel | undefined): number[] {
  if (target === "strongest") return [-model.costTier, model.latencyTier];
  if (target === "default" && reference !== undefined) {
    return [model.modelId === reference.modelId ? 0 : 1, Math.abs(model.costTier - reference.costTier), model.latencyTier];
  }
  // No default model to stay near: the cheapest is the safe middle ground.
  return [model.costTier, model.latencyTier];
}

function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
