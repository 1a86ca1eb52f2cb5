import { randomUUID } from "node:crypto";
import { type BudgetPolicy, measureOf } from "../../shared/budget-policy.js";
import type { Logger } from "../../shared/logger.js";
import type { Usage } from "../../shared/model-types.js";
import { type CounterKey, chargeCounters, readCounters, releaseOnCounter, reserveOnCounters } from "../../store/budget-counters-repository.js";
import type { Store } from "../../store/open-store.js";
import type { PriceBook } from "../pricing/price-book.js";
import type {
  Admission,
  AdmissionRequest,
  BudgetOutcome,
  BudgetQuery,
  InterruptedRun,
  LedgerWrite,
  RunCost,
  RunGovernance,
  RunSettlement,
  ServingModel,
} from "../run-governance.js";
import { approvalRequiredError, budgetExceededError, judgeAdmission, limitSentence, type PolicyCheck } from "./budget-admission.js";
import { holdForApproval, usePresentedApproval } from "./budget-approvals.js";
import type { BudgetObserver } from "./budget-observer.js";
import type { BudgetPolicies } from "./budget-policies.js";
import { chargeInterruptedRun } from "./charge-interrupted.js";
import { type PlannedStanding, standingsBefore, withCounters } from "./counter-standings.js";
import { affordableModels, checksOn, fitsComfortably, type PolicyStanding, reservationOf } from "./failover-fit.js";
import { IntervalClock } from "./interval-clock.js";
import { approvalRequestOf, subjectOf } from "./request-subject.js";
import { SoftLimitAlerts } from "./soft-limit-alerts.js";

export interface BudgetGovernanceDeps {
  store: Pick<Store, "db">;
  policies: BudgetPolicies;
  priceBook: PriceBook;
  /** IANA zone the intervals align to (usage.timezone). */
  timeZone: string;
  logger: Logger;
  /** Told of each refusal, by policy (the metrics). */
  observer?: BudgetObserver | undefined;
  now?: () => number;
  newId?: () => string;
}

/** What a run reserved under one policy. */
interface Reservation {
  policy: BudgetPolicy;
  /** The policy's measure when it reserved; a redefined policy's counters were reset. */
  measure: string;
  key: CounterKey;
  amount: number;
}

interface BudgetAdmission extends Admission {
  reservations: readonly Reservation[];
  /** The prices the run started under: a config reloaded while it runs does not reprice it. */
  prices: PriceBook;
}

type Refusal = { kind: "blocked"; check: PolicyCheck; note: string } | { kind: "held"; check: PolicyCheck; pendingId: string | undefined; note: string };
type Decision = { kind: "admitted"; models: string[]; reservations: Reservation[] } | Refusal;

/** Thrown inside the admission transaction to roll its reservation back. */
class Refused extends Error {
  constructor(readonly decision: Refusal) {
    super(decision.kind);
  }
}

const noUsage: Usage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: false };
/** For callers that keep no ledger (unit tests of budgets alone). */
const noLedgerWrite = async () => {};

/**
 * Budgets before dispatch: every applicable policy's counter for the current interval is checked
 * and the request's worst case reserved in one transaction; when the run ends what it used is
 * charged and the rest released. Only the budget_counters rows of the applicable policies are
 * read and written, never the runs ledger, so the cost does not grow with history.
 */
export class BudgetGovernance implements RunGovernance {
  private readonly now: () => number;
  private readonly newId: () => string;
  private readonly clock: IntervalClock;
  private readonly alerts: SoftLimitAlerts;

  constructor(private readonly deps: BudgetGovernanceDeps) {
    this.now = deps.now ?? Date.now;
    this.newId = deps.newId ?? randomUUID;
    this.clock = new IntervalClock(deps.timeZone);
    this.alerts = new SoftLimitAlerts({ logger: deps.logger, newId: this.newId });
  }

  async admit(request: AdmissionRequest, recordStart: LedgerWrite = noLedgerWrite): Promise<Admission> {
    const at = this.now();
    const planned = this.plan(request, at, boundOrExact(request));
    if (planned.length === 0) {
      await recordStart(this.deps.store.db);
      return admissionOf(
        request.runId,
        request.models.map((model) => model.modelId),
        [],
        this.pricesNow(),
      );
    }
    const { db } = this.deps.store;
    const everyModel = request.models.map((_, index) => index);

    let decision: Decision;
    try {
      decision = await db.transaction().execute(async (trx): Promise<Decision> => {
        // Reserve the worst case on every model first, then judge by what the counters held before it:
        // one statement reads and locks them all, and a refusal rolls the reservation back.
        // The worst case is first the prompt's upper bound; where it leaves a limit no comfortable room the
        // prompt is counted exactly, and the exact figures decide (and are what stays reserved).
        const worst = planned.map((entry) => ({ key: entry.key, amount: reservationOf(entry, everyModel) }));
        const bounded = standingsBefore(planned, worst, await reserveOnCounters(trx, worst));
        const standings = this.decidingStandings(bounded, request, at);
        const verdict = judgeAdmission(checksOn(standings, 0));
        if (verdict.kind === "block") throw new Refused({ kind: "blocked", check: verdict.check, note: "" });
        if (verdict.kind === "approval") {
          const check = verdict.checks[0] as PolicyCheck;
          if (request.approvalId === undefined || request.approvalId === "") throw new Refused({ kind: "held", check, pendingId: undefined, note: "" });
          const presented = await usePresentedApproval(trx, request.approvalId, approvalRequestOf(request));
          if (presented.kind === "denied") {
            throw new Refused({
              kind: "blocked",
              check,
              note: `; approval ${presented.approvalId} was denied${presented.reason ? `: ${presented.reason}` : ""}`,
            });
          }
          if (presented.kind === "pending") throw new Refused({ kind: "held", check, pendingId: presented.approvalId, note: " (still pending)" });
          if (presented.kind === "unusable") throw new Refused({ kind: "held", check, pendingId: undefined, note: ` (${presented.note})` });
        }
        // Failover keeps to the models that fit; the reservation shrinks to the dearest of those.
        const models = affordableModels(standings, request.models.length);
        const reservations = standings.map((standing) => ({
          policy: standing.policy,
          measure: measureOf(standing.policy),
          key: standing.key,
          amount: reservationOf(standing, models),
        }));
        for (const [index, reservation] of reservations.entries()) {
          const excess = (worst[index]?.amount ?? 0) - reservation.amount;
          if (excess > 0) await releaseOnCounter(trx, reservation.key, excess);
        }
        await recordStart(trx);
        return { kind: "admitted", models: models.map((index) => request.models[index]?.modelId ?? ""), reservations };
      });
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      decision = error.decision;
    }

    if (decision.kind !== "admitted") this.deps.observer?.refused(decision.check.policy.policyId, decision.kind);
    if (decision.kind === "blocked") throw budgetExceededError(decision.check, at, decision.note);
    if (decision.kind === "held") {
      const approvalId =
        decision.pendingId ??
        (await holdForApproval(db, approvalRequestOf(request), {
          policyId: decision.check.policy.policyId,
          projectedValue: decision.check.projected,
          approvalId: this.newId(),
          at,
        }));
      throw approvalRequiredError(decision.check, approvalId, decision.note);
    }
    return admissionOf(request.runId, decision.models, decision.reservations, this.pricesNow());
  }

  /** What admission would decide now, without reserving or asking for approval (ExplainRouting, smart routing). */
  async preview(query: BudgetQuery): Promise<BudgetOutcome> {
    const at = this.now();
    const planned = this.plan(query, at, boundOrExact(query));
    if (planned.length === 0) return { admitted: true, models: query.models.map((model) => model.modelId) };
    const rows = await readCounters(
      this.deps.store.db,
      planned.map((entry) => entry.key),
    );
    const standings = this.decidingStandings(withCounters(planned, rows), query, at);
    const verdict = judgeAdmission(checksOn(standings, 0));
    if (verdict.kind === "block") return { admitted: false, code: "budget_exceeded", message: budgetExceededError(verdict.check, at).message };
    if (verdict.kind === "approval") {
      return { admitted: false, code: "approval_required", message: `${limitSentence(verdict.checks[0] as PolicyCheck)}; an operator must approve it` };
    }
    return { admitted: true, models: affordableModels(standings, query.models.length).map((index) => query.models[index]?.modelId ?? "") };
  }

  async settle(admission: Admission, settlement: RunSettlement, recordEnd: LedgerWrite<[RunCost]> = noLedgerWrite): Promise<RunCost> {
    const at = this.now();
    const started = admission as Partial<BudgetAdmission>;
    const cost = this.costOf(settlement, at, started.prices ?? this.deps.priceBook);
    const reservations = started.reservations ?? [];
    if (reservations.length === 0) {
      await recordEnd(this.deps.store.db, cost);
      return cost;
    }
    const usage = settlement.cacheHit ? undefined : settlement.usage;
    const tokens = usage === undefined ? 0 : usage.inputTokens + usage.outputTokens;

    const crossings = await this.deps.store.db.transaction().execute(async (trx) => {
      const charges: { policy: BudgetPolicy; key: CounterKey; consumed: number; released: number }[] = [];
      for (const reservation of reservations) {
        const policy = this.deps.policies.get(reservation.policy.policyId);
        // Removed or redefined since admission: its counters started afresh without this run.
        if (policy === undefined || measureOf(policy) !== reservation.measure) continue;
        const charge = policy.metricKind === "tokens" ? tokens : cost.costUsd;
        if (charge === 0 && reservation.amount === 0) continue;
        charges.push({ policy, key: reservation.key, consumed: charge, released: reservation.amount });
      }
      const counted = await chargeCounters(trx, charges);
      const charged = charges.map(({ policy, key }) => ({
        policy,
        intervalStart: key.intervalStart,
        consumed: counted.find((row) => row.policyId === policy.policyId)?.consumed ?? 0,
      }));
      const crossings = await this.alerts.record(trx, charged, at);
      await recordEnd(trx, cost);
      return crossings;
    });
    this.alerts.confirm(crossings);
    return cost;
  }

  chargeInterrupted(run: InterruptedRun, recordEnd: LedgerWrite<[RunCost]>): Promise<RunCost> {
    const { store, policies, priceBook } = this.deps;
    return chargeInterruptedRun({ db: store.db, policies, priceBook, clock: this.clock }, run, recordEnd);
  }

  /**
   * The standings a decision is made on: those by the prompt's upper bound when every model fits them
   * comfortably (then the exact count could not change the decision, and the bound is what is
   * reserved), else the same counters with the worst cases by the exact count, so near a limit the
   * exact count decides and a request that fits is never refused for its bound.
   */
  private decidingStandings<S extends PolicyStanding>(bounded: S[], request: BudgetQuery, at: number): S[] {
    if (request.projectTokensUpperBound === undefined || fitsComfortably(bounded, request.models.length)) return bounded;
    const exact = this.plan(request, at, request.projectTokens);
    return bounded.map((standing, index) => ({ ...standing, projectedByModel: exact[index]?.projectedByModel ?? standing.projectedByModel }));
  }

  /**
   * The applicable policies' current intervals and the request's worst case under each, on each model
   * that may serve it, by policy id: every transaction touches counters in that one order, so on
   * PostgreSQL two never deadlock. Tokens are projected once per model, and only when a policy applies.
   */
  private plan(request: BudgetQuery, at: number, projectTokens: BudgetQuery["projectTokens"]): PlannedStanding[] {
    const policies = this.deps.policies.applicable(subjectOf(request)).sort((a, b) => (a.policyId < b.policyId ? -1 : a.policyId > b.policyId ? 1 : 0));
    if (policies.length === 0) return [];
    const worstCases = request.models.map((model) => this.worstCaseOn(model, projectTokens(model), at));
    return policies.map((policy) => {
      const interval = this.clock.at(policy.intervalKind, at);
      return {
        policy,
        interval,
        key: { policyId: policy.policyId, intervalStart: interval.start, intervalEnd: interval.end },
        projectedByModel: worstCases.map((worst) => (policy.metricKind === "tokens" ? worst.tokens : worst.usd)),
      };
    });
  }

  /** A run's cost by the PriceBook. A cache hit costs nothing; a failed run only what the upstream reported. */
  private pricesNow(): PriceBook {
    return this.deps.priceBook.fixedForRun?.() ?? this.deps.priceBook;
  }

  private costOf(settlement: RunSettlement, at: number, prices: PriceBook): RunCost {
    if (settlement.cacheHit) return { costUsd: 0, costEstimated: false };
    // A succeeded run without reported usage still pays any per-request price.
    const usage = settlement.usage ?? (settlement.status === "succeeded" ? noUsage : undefined);
    if (usage === undefined) return { costUsd: 0, costEstimated: false };
    const priced = prices.costOf({ modelId: settlement.modelId, upstreamModel: settlement.upstreamModel }, usage, at);
    return { costUsd: priced.costUsd, costEstimated: usage.estimated || !priced.priced };
  }

  /**
   * A request's worst case on one model: prompt plus answer tokens, and their price with the prompt at
   * the dearer of the plain input and cache-write rates (an unpriced model costs 0).
   */
  private worstCaseOn(model: ServingModel, tokens: { input: number; output: number }, at: number): { tokens: number; usd: number } {
    const usage: Usage = { inputTokens: tokens.input, outputTokens: tokens.output, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: true };
    const plain = this.deps.priceBook.costOf(model, usage, at).costUsd;
    const written = this.deps.priceBook.costOf(model, { ...usage, cacheWriteTokens: tokens.input }, at).costUsd;
    return { tokens: tokens.input + tokens.output, usd: Math.max(plain, written) };
  }
}

/** The query's cheap worst case when it has one (never below the exact one), else its exact one. */
function boundOrExact(query: BudgetQuery): BudgetQuery["projectTokens"] {
  return query.projectTokensUpperBound ?? query.projectTokens;
}

function admissionOf(runId: string, models: readonly string[], reservations: readonly Reservation[], prices: PriceBook): Admission {
  const admission: BudgetAdmission = { runId, models, reservations, prices };
  return admission;
}
