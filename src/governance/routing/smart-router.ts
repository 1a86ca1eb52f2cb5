import { routingModes, type SmartRoutingConfig } from "../../config/schema.js";
import type { Caller } from "../../identity/caller.js";
import type { CircuitSnapshot } from "../../registry/circuit-breaker.js";
import type { ModelRegistry, RegisteredModel } from "../../registry/model-registry.js";
import { needsOf } from "../../registry/route-candidates.js";
import { invalidRequest } from "../../shared/errors.js";
import type { RunInput } from "../../shared/run-input.js";
import type { TokenCount } from "../../shared/tokens.js";
import { chatBudgetQuery } from "../budgets/chat-budget-query.js";
import type { BudgetQuery, SmartRouter, SmartRoutingDecision } from "../run-governance.js";
import { complexityOf } from "./complexity.js";
import { chooseModel, type ModelTarget } from "./model-choice.js";

export type RoutingMode = SmartRoutingDecision["mode"];

/** The modes a request may ask for: the configured ones, and "off" to opt out for one request. */
export const requestRoutingModes: readonly RoutingMode[] = ["off", ...routingModes];

export interface ComplexityRouterDeps {
  config: SmartRoutingConfig;
  registry: ModelRegistry;
  /** 0 healthy or unknown, 1 degraded, 2 down. */
  healthRankOf: (providerId: string) => number;
  circuits: { snapshot(providerId: string): CircuitSnapshot };
  /** Whether the caller's budgets would admit the request on a model (the query names it); absent: every model is. */
  withinBudget?: ((query: BudgetQuery) => Promise<boolean>) | undefined;
}

/** Names that leave the choice of model to the gateway (as the registry reads them). */
const automaticModelNames = new Set(["", "auto"]);

const offDecision: SmartRoutingDecision = {
  mode: "off",
  complexity: 0,
  recommendedModelId: undefined,
  overrideModelId: undefined,
  reason: "smart routing is off",
  dryRunChange: "",
};

/**
 * Smart routing by prompt complexity: low scores get the cheapest capable model, high scores the
 * strongest, the middle the default. "suggest" and "dry_run" only report the recommendation
 * ("dry_run" also says what enforcement would change); "enforced" applies it to requests that left
 * the model to the gateway, never to one that named a model.
 */
export class ComplexityRouter implements SmartRouter {
  private config: SmartRoutingConfig;

  constructor(private readonly deps: ComplexityRouterDeps) {
    this.config = deps.config;
  }

  /** Takes [usage.smart_routing] from a reloaded config: requests decided after it use it. */
  reconfigure(config: SmartRoutingConfig): void {
    this.config = config;
  }

  async decide(input: RunInput, { caller, promptTokens }: { caller: Caller; promptTokens: TokenCount }): Promise<SmartRoutingDecision> {
    const mode = this.modeFor(input.routingMode);
    if (mode === "off") return offDecision;

    const { registry } = this.deps;
    const requested = input.model?.trim() ?? "";
    const named = !automaticModelNames.has(requested);
    const defaultId = registry.defaults.chatModelId;
    const defaultModel = defaultId === undefined ? undefined : registry.findUsableModel(defaultId);
    const baseline = named ? (registry.findUsableModel(requested) ?? defaultModel) : defaultModel;
    const { complexity, recommended, why } = await this.recommend(input, caller, promptTokens, baseline, defaultModel);

    const current = named ? `the requested model ${requested}` : (defaultModel?.modelId ?? "the default model");
    const base = { mode, complexity, recommendedModelId: recommended, overrideModelId: undefined, dryRunChange: "" };
    if (mode === "enforced") {
      if (named) return { ...base, reason: `${why}; enforced routing keeps ${current}, which the request named` };
      return { ...base, overrideModelId: recommended, reason: `${why}; enforced: the run uses ${recommended ?? current}` };
    }
    if (mode === "suggest") return { ...base, reason: `${why}; suggest: the run keeps ${current}` };
    // dry_run: what enforcement would have done, which never touches a named model.
    const change =
      !named && recommended !== undefined && recommended !== defaultModel?.modelId ? `enforced would use ${recommended} instead of ${current}` : "";
    const unchanged = named ? "enforcement keeps a named model" : "enforcement would change nothing";
    return { ...base, dryRunChange: change, reason: `${why}; dry run: the run keeps ${current}, ${change || unchanged}` };
  }

  /** The complexity band's model for this request, and why, in words. */
  private async recommend(
    input: RunInput,
    caller: Caller,
    promptTokens: TokenCount,
    baseline: RegisteredModel | undefined,
    defaultModel: RegisteredModel | undefined,
  ) {
    const { registry, withinBudget } = this.deps;
    const { config } = this;
    const complexity = complexityOf(input).score;
    const [target, band] =
      complexity <= config.low_threshold
        ? (["cheapest", `at or below ${config.low_threshold}`] as const)
        : complexity >= config.high_threshold
          ? (["strongest", `at or above ${config.high_threshold}`] as const)
          : (["default", `between ${config.low_threshold} and ${config.high_threshold}`] as const);
    const choice = await chooseModel(
      {
        registry,
        needs: needsOf(input, promptTokens),
        baseline,
        circuitOf: (providerId) => this.deps.circuits.snapshot(providerId),
        healthRankOf: this.deps.healthRankOf,
        withinBudget: withinBudget && ((model) => withinBudget(chatBudgetQuery(input, caller, [model], promptTokens))),
      },
      target,
      defaultModel,
    );
    if (choice === undefined)
      return { complexity, recommended: undefined, why: `complexity ${complexity} is ${band}, but no enabled chat model can serve this request` };
    const budgetNote = !choice.withinBudget
      ? " (every capable model is over budget)"
      : choice.overBudget.length > 0
        ? ` within budget (${choice.overBudget.map((model) => model.modelId).join(", ")} would pass a budget's hard limit)`
        : "";
    const words = choice.overBudget.length > 0 ? bandWords(target) : choiceWords(target, choice.model, defaultModel);
    return { complexity, recommended: choice.model.modelId, why: `complexity ${complexity} is ${band}: ${words}${budgetNote}` };
  }

  /** The request's own mode when it names one, else the configured mode when smart routing is enabled. */
  private modeFor(requested: string | undefined): RoutingMode {
    const name = requested?.trim().toLowerCase() ?? "";
    if (name === "") return this.config.enabled ? this.config.mode : "off";
    const mode = requestRoutingModes.find((candidate) => candidate === name);
    if (mode === undefined) throw invalidRequest("routing_mode", `unknown mode "${requested}"; use one of ${requestRoutingModes.join(", ")}`);
    return mode;
  }
}

/** The band's model in words, when budgets moved the choice off its first pick. */
function bandWords(target: ModelTarget): string {
  if (target === "cheapest") return "the cheapest capable model";
  if (target === "strongest") return "the strongest capable model";
  return "the capable model nearest the default";
}

function choiceWords(target: ModelTarget, chosen: RegisteredModel, defaultModel: RegisteredModel | undefined): string {
  if (target === "cheapest") return "the cheapest capable model";
  if (target === "strongest") return "the strongest capable model";
  if (chosen.modelId === defaultModel?.modelId) return "the default model";
  return defaultModel === undefined
    ? "the cheapest capable model, as there is no default"
    : "the capable model nearest the default, which cannot serve it or is unavailable";
}
