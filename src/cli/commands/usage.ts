import { type Command, InvalidArgumentError } from "commander";
import {
  type GetUsageSummaryResponse,
  type ListPricingResponse,
  type ModelPrice,
  type SetPricingResponse,
  UsageGroupBy,
  type UsageSummaryRow,
} from "../../../gen/grpc-js/palyra/gateway/v1/usage.js";
import { addClientFlags, type ClientFlags, withDaemon } from "../client-flags.js";
import { parseDurationSeconds } from "../duration.js";
import { callUnary } from "../grpc-clients.js";
import { formatTable, printJson, printLine } from "../output.js";
import { registerUsageApprovalCommands } from "./usage-approvals.js";
import { registerUsageBudgetCommands } from "./usage-budgets.js";

interface PricingListFlags extends ClientFlags {
  catalog?: boolean;
}

interface PricingSetFlags extends ClientFlags {
  model: string;
  input: number;
  output: number;
  cachedInput?: number;
  cacheWrite?: number;
  perRequest?: number;
  effectiveFrom?: Date;
}

interface ReportFlags extends ClientFlags {
  since?: Date;
  by?: UsageGroupBy;
}

const groupings: Record<string, UsageGroupBy> = {
  model: UsageGroupBy.USAGE_GROUP_BY_MODEL,
  provider: UsageGroupBy.USAGE_GROUP_BY_PROVIDER,
  agent: UsageGroupBy.USAGE_GROUP_BY_AGENT,
  api_key: UsageGroupBy.USAGE_GROUP_BY_API_KEY,
  day: UsageGroupBy.USAGE_GROUP_BY_DAY,
  hour: UsageGroupBy.USAGE_GROUP_BY_HOUR,
};

/** palyra usage pricing list | pricing set | report: the pricing half of UsageService. */
export function registerUsageCommand(usage: Command): void {
  const pricing = usage.command("pricing").description("model prices: USD per million tokens, and per request");

  addClientFlags(pricing.command("list").description("list configured and runtime prices"))
    .option("--catalog", "also list the bundled catalog's prices for the configured models' upstream names")
    .action(async (flags: PricingListFlags) => {
      const request = { includeCatalog: flags.catalog ?? false };
      const response = await withDaemon(flags, (clients) => {
        const client = clients.usage();
        return callUnary<ListPricingResponse>((done) => client.listPricing(request, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson({ prices: response.prices.map(priceJson) });
      if (response.prices.length === 0) return printLine("no prices set (try --catalog for the bundled defaults)");
      printLine(
        formatTable(["model", "source", "input", "output", "cached input", "cache write", "per request", "effective from"], response.prices.map(priceRow)),
      );
      printLine("(USD per million tokens; per request in USD)");
    });

  addClientFlags(pricing.command("set").description("set a model's price at runtime (wins over the config and the catalog)"))
    .requiredOption("--model <id>", "the registry model id the price applies to")
    .requiredOption("--input <usd>", "USD per million input tokens", nonNegative)
    .requiredOption("--output <usd>", "USD per million output tokens", nonNegative)
    .option("--cached-input <usd>", "USD per million cached input tokens (default: the input price)", nonNegative)
    .option("--cache-write <usd>", "USD per million cache-write tokens (default: the input price)", nonNegative)
    .option("--per-request <usd>", "a fixed USD cost per request (default: 0)", nonNegative)
    .option("--effective-from <time>", "RFC 3339 time the price applies from (default: since always)", parseTime)
    .action(async (flags: PricingSetFlags) => {
      const price: ModelPrice = {
        modelId: flags.model,
        inputPerMtok: flags.input,
        outputPerMtok: flags.output,
        cachedInputPerMtok: flags.cachedInput ?? 0,
        cacheWritePerMtok: flags.cacheWrite ?? 0,
        perRequest: flags.perRequest ?? 0,
        effectiveFrom: flags.effectiveFrom,
        source: "",
      };
      const response = await withDaemon(flags, (clients) => {
        const client = clients.usage();
        return callUnary<SetPricingResponse>((done) => client.setPricing({ price }, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson({ price: response.price && priceJson(response.price) });
      const stored = response.price;
      if (stored !== undefined) printLine(`set ${stored.modelId}: ${describePrice(stored)}`);
    });

  addClientFlags(usage.command("report").description("tokens, cost, runs and errors over a window, grouped"))
    .option("--since <when>", "window start: a duration back from now (7d, 12h) or an RFC 3339 time (default: 7d)", parseSince)
    .option("--by <grouping>", `group by ${Object.keys(groupings).join(", ")} (default: model)`, parseGrouping)
    .action(async (flags: ReportFlags) => {
      const since = flags.since ?? parseSince("7d");
      const groupBy = flags.by ?? UsageGroupBy.USAGE_GROUP_BY_MODEL;
      const request = { since, groupBy };
      const response = await withDaemon(flags, (clients) => {
        const client = clients.usage();
        return callUnary<GetUsageSummaryResponse>((done) => client.getUsageSummary(request, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) {
        return printJson({ since: since.toISOString(), rows: response.rows, total: response.total });
      }
      const headers = [groupingName(groupBy), "runs", "errors", "input", "cached", "output", "cost usd", "estimated"];
      const rows = response.rows.map(reportRow);
      if (response.total !== undefined) rows.push(reportRow({ ...response.total, key: "TOTAL" }));
      printLine(`usage since ${since.toISOString()}`);
      printLine(formatTable(headers, rows));
    });

  // Budgets and approvals (usage-budgets.ts).
  registerUsageBudgetCommands(usage);
  registerUsageApprovalCommands(usage);
}

// --json keeps the API's field names but, unlike protobuf JSON, also prints zeros, so scripts need no defaults.
function priceJson(price: ModelPrice): Record<string, unknown> {
  return { ...price, effectiveFrom: price.effectiveFrom?.toISOString() };
}

function priceRow(price: ModelPrice): string[] {
  return [
    price.modelId,
    price.source,
    formatUsd(price.inputPerMtok),
    formatUsd(price.outputPerMtok),
    formatUsd(price.cachedInputPerMtok),
    formatUsd(price.cacheWritePerMtok),
    formatUsd(price.perRequest),
    price.effectiveFrom ? price.effectiveFrom.toISOString() : "always",
  ];
}

function describePrice(price: ModelPrice): string {
  const parts = [
    `input $${formatUsd(price.inputPerMtok)}/M`,
    `output $${formatUsd(price.outputPerMtok)}/M`,
    `cached input $${formatUsd(price.cachedInputPerMtok)}/M`,
    `cache write $${formatUsd(price.cacheWritePerMtok)}/M`,
  ];
  if (price.perRequest > 0) parts.push(`$${formatUsd(price.perRequest)} per request`);
  parts.push(price.effectiveFrom ? `from ${price.effectiveFrom.toISOString()}` : "since always");
  return parts.join(", ");
}

function reportRow(row: UsageSummaryRow): string[] {
  return [
    row.key || "(none)",
    String(row.runs),
    String(row.errors),
    String(row.inputTokens),
    String(row.cachedInputTokens),
    String(row.outputTokens),
    formatUsd(row.costUsd),
    String(row.estimatedRuns),
  ];
}

/** Up to 6 decimals (a small run costs fractions of a cent), without trailing zeros. */
function formatUsd(value: number): string {
  return value.toFixed(6).replace(/\.?0+$/, "") || "0";
}

function groupingName(groupBy: UsageGroupBy): string {
  return Object.entries(groupings).find(([, value]) => value === groupBy)?.[0] ?? "key";
}

function nonNegative(value: string): number {
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed) || parsed < 0) throw new InvalidArgumentError("must be a number of at least 0");
  return parsed;
}

function parseTime(value: string): Date {
  const parsed = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(parsed.getTime())) {
    throw new InvalidArgumentError("must be an RFC 3339 time such as 2026-01-01T00:00:00Z");
  }
  return parsed;
}

function parseSince(value: string): Date {
  if (/^\d{4}-\d{2}-\d{2}/.test(value.trim())) return parseTime(value.trim());
  return new Date(Date.now() - parseDurationSeconds(value) * 1000);
}

function parseGrouping(value: string): UsageGroupBy {
  const groupBy = groupings[value.trim().toLowerCase()];
  if (groupBy === undefined) throw new InvalidArgumentError(`must be one of ${Object.keys(groupings).join(", ")}`);
  return groupBy;
}
