import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger } from "pino";

/** Paths that may carry credentials; pino replaces their values before a line is written. */
const redactedPaths = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "req.headers.authorization",
  "token",
  "*.token",
  "adminToken",
  "api_key",
  "*.api_key",
  "apiKey",
  "*.apiKey",
];

/** The daemon's JSON-lines logger on stdout (or the given stream). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "palyra" },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactedPaths, censor: "<redacted>" },
    },
    destination ?? pino.destination({ fd: 1, sync: true }),
  );
}
