import http from "node:http";

/** One HTTP response, recorded whole (the checks before the load look at one answer of each target). */
export interface CapturedResponse {
  status: number;
  /** Response headers without the per-connection ones (date, connection, keep-alive, transfer-encoding). */
  headers: Record<string, string>;
  /** The body as written: one chunk for JSON, one `data: …\n\n` frame per chunk for SSE. */
  chunks: string[];
}

const perConnectionHeaders = new Set(["date", "connection", "keep-alive", "transfer-encoding"]);

/** POSTs once with a fresh connection and records the whole response. */
export async function captureResponse(
  target: { host: string; port: number; path: string; headers: Record<string, string> },
  body: string,
): Promise<{ response: CapturedResponse; raw: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: target.host,
        port: target.port,
        path: target.path,
        method: "POST",
        headers: { ...target.headers, "content-length": Buffer.byteLength(body) },
        agent: false,
      },
      (response) => {
        const parts: Buffer[] = [];
        response.on("data", (chunk: Buffer) => parts.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (perConnectionHeaders.has(name) || value === undefined) continue;
            headers[name] = Array.isArray(value) ? value.join(", ") : value;
          }
          const raw = Buffer.concat(parts).toString("utf8");
          const streamed = (headers["content-type"] ?? "").startsWith("text/event-stream");
          resolve({ response: { status: response.statusCode ?? 0, headers, chunks: streamed ? splitSseFrames(raw) : [raw] }, raw });
        });
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

/** Splits an SSE body into its frames, each keeping its terminating blank line. */
export function splitSseFrames(raw: string): string[] {
  const frames: string[] = [];
  let start = 0;
  for (let end = raw.indexOf("\n\n", start); end !== -1; end = raw.indexOf("\n\n", start)) {
    frames.push(raw.slice(start, end + 2));
    start = end + 2;
  }
  if (start < raw.length) frames.push(raw.slice(start));
  return frames;
}
