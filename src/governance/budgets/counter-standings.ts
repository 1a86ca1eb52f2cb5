import type { CounterKey } from "../../store/budget-counters-repository.js";
import type { BudgetCounterRow } from "../../store/tables.js";
import type { PolicyStanding } from "./failover-fit.js";

/** A policy's standing before its counter is read. */
export type PlannedStanding = Omit<PolicyStanding, "consumed" | "reserved"> & { key: CounterKey };

/** The standings with their counters as read. */
export function withCounters(planned: readonly PlannedStanding[], rows: readonly BudgetCounterRow[]): (PolicyStanding & { key: CounterKey })[] {
  return planned.map((entry) => {
    const row = rows.find((candidate) => candidate.policy_id === entry.key.policyId && Number(candidate.interval_start) === entry.key.intervalStart);
    return { ...entry, consumed: Number(row?.consumed ?? 0), reserved: Number(row?.reserved ?? 0) };
  });
}

/** The standings as they were before this request's reservation: the counters now, less what it just reserved. */
export function standingsBefore(
  planned: readonly PlannedStanding[],
  reserved: readonly { key: CounterKey; amount: number }[],
  rows: readonly BudgetCounterRow[],
): (PolicyStanding & { key: CounterKey })[] {
  return withCounters(planned, rows).map((standing, index) => ({ ...standing, reserved: standing.reserved - (reserved[index]?.amount ?? 0) }));
}
