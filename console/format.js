// How figures and protobuf-JSON values read on the page.

/** "HEALTH_STATE_OK" -> "ok", given the enum's prefix. */
export function enumName(value, prefix) {
  if (typeof value !== "string") return String(value ?? "");
  return value.startsWith(prefix) ? value.slice(prefix.length).toLowerCase().replaceAll("_", " ") : value.toLowerCase();
}

export function usd(value) {
  const amount = Number(value ?? 0);
  return `$${amount.toFixed(amount !== 0 && Math.abs(amount) < 0.01 ? 6 : 2)}`;
}

export function count(value) {
  return Number(value ?? 0).toLocaleString("en-US");
}

/** A protobuf Timestamp (RFC 3339 text) as local date and time; "" when unset. */
export function when(timestamp) {
  if (!timestamp) return "";
  return new Date(timestamp).toLocaleString("en-GB", { dateStyle: "short", timeStyle: "medium" });
}

/** The start of today in the browser's time zone, as RFC 3339. */
export function startOfToday() {
  const now = new Date();
  return new Date(now.getFullYear(), now.getMonth(), now.getDate()).toISOString();
}

export function hoursAgo(hours) {
  return new Date(Date.now() - hours * 3_600_000).toISOString();
}
