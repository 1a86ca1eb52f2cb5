import { once } from "node:events";
import type { Response } from "express";

/** Writes server-sent events, waiting for the socket to drain so a slow client slows the run. */
export class SseWriter {
  constructor(
    private readonly res: Response,
    private readonly signal: AbortSignal,
  ) {}

  start(headers: Record<string, string>): void {
    this.res.writeHead(200, {
      ...headers,
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      // Tell reverse proxies not to buffer the stream.
      "x-accel-buffering": "no",
    });
    // No flushHeaders(): the first event follows at once, and the head goes out in the same write.
  }

  async data(payload: unknown): Promise<void> {
    await this.write(`data: ${typeof payload === "string" ? payload : JSON.stringify(payload)}\n\n`);
  }

  /** Trailers sent when the stream ends (declared up front with a Trailer header; dropped on HTTP/1.0). */
  trailers(fields: Record<string, string>): void {
    if (!this.res.writableEnded) this.res.addTrailers(fields);
  }

  end(): void {
    if (!this.res.writableEnded) this.res.end();
  }

  private async write(frame: string): Promise<void> {
    if (this.signal.aborted || this.res.writableEnded) return;
    if (this.res.write(frame)) return;
    try {
      await once(this.res, "drain", { signal: this.signal });
    } catch {
      // The client went away while we waited; the abort signal cancels the run.
    }
  }
}
