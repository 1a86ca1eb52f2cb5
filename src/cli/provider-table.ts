import { circuitStateToJSON, healthStateToJSON, type ProviderStatus } from "../../gen/grpc-js/palyra/gateway/v1/models.js";
import { enumLabel, formatTable, yesNo } from "./output.js";

/** The providers of `models status` and `diagnostics`: health, circuit and model count per provider. */
export function formatProviderTable(providers: readonly ProviderStatus[]): string {
  const rows = providers.map((provider) => {
    const circuit = provider.circuit;
    const failures = circuit && circuit.consecutiveFailures > 0 ? ` (${circuit.consecutiveFailures} failures)` : "";
    return [
      provider.providerId,
      provider.kind,
      yesNo(provider.enabled),
      provider.health ? enumLabel(healthStateToJSON(provider.health.state), "HEALTH_STATE_") : "-",
      circuit ? `${enumLabel(circuitStateToJSON(circuit.state), "CIRCUIT_STATE_")}${failures}` : "-",
      String(provider.modelCount),
      provider.health?.detail || provider.baseUrl || "",
    ];
  });
  return formatTable(["provider", "kind", "enabled", "health", "circuit", "models", "detail"], rows);
}
