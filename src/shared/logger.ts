import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger } from "pino";

/** Paths that may carry credentials; pino replaces their values before a line is written. */
const redactedPaths = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "req.headers.authorization",
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
  "token",
  "*.token",
  "adminToken",
  "api_key",
  "*.api_key",
  "apiKey",
  "*.apiKey",
  "secret",
  "*.secret",
  "client_secret",
  "*.client_secret",
  "access_token",
  "*.access_token",
  "refresh_token",
  "*.refresh_token",
  "code_verifier",
  "*.code_verifier",
  "password",
  "*.password",
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
