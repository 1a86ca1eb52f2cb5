import { judgeAdmission, type PolicyCheck } from "./budget-admission.js";

/** One applicable policy's standing, with the request's worst case on each model that may serve it, in the query's order. */
export type PolicyStanding = Omit<PolicyCheck, "projected"> & { projectedByModel: readonly number[] };

/** The checks of the request served by model `index`. */
export function checksOn(standings: readonly PolicyStanding[], index: number): PolicyCheck[] {
  return standings.map(({ projectedByModel, ...standing }) => ({ ...standing, projected: projectedByModel[index] ?? 0 }));
}

/**
 * The models a run admitted on the first may be served by: the first, and each later one whose own
 * worst case every applicable policy would admit as well. Failover never moves a run to a model its
 * budgets could not afford, and a dear fallback does not get a request refused that fits the first.
 */
export function affordableModels(standings: readonly PolicyStanding[], modelCount: number): number[] {
  const affordable = [0];
  for (let index = 1; index < modelCount; index += 1) {
    if (judgeAdmission(checksOn(standings, index)).kind === "admit") affordable.push(index);
  }
  return affordable;
}

/** What a policy reserves for a run: the largest worst case among the models it may be served by. */
export function reservationOf(standing: Pick<PolicyStanding, "projectedByModel">, models: readonly number[]): number {
  return Math.max(0, ...models.map((index) => standing.projectedByModel[index] ?? 0));
}

// A worst case by an upper bound decides only where the limit leaves room for this many times it:
// then the exact figure (never above the bound) could not change the decision, and the room left
// for other runs while this one reserves its bound stays ample.
const comfortFactor = 2;

/** Whether every applicable policy would admit the request on every model even at twice its worst case. */
export function fitsComfortably(standings: readonly PolicyStanding[], modelCount: number): boolean {
  const doubled = standings.map((standing) => ({ ...standing, projectedByModel: standing.projectedByModel.map((value) => value * comfortFactor) }));
  for (let index = 0; index < modelCount; index += 1) {
    if (judgeAdmission(checksOn(doubled, index)).kind !== "admit") return false;
  }
  return true;
}
