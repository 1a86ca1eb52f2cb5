import type { MemoryConfig } from "../config/schema.js";
import type { ChatSucceededListener, SucceededChat } from "../runs/chat-succeeded.js";
import type { ChatMessage } from "../shared/model-types.js";
import type { CapturedRun } from "./memory-journal.js";

/** Where captured runs go (MemoryJournal.retainCaptured). */
export type CaptureSink = (run: CapturedRun) => Promise<unknown>;

/**
 * The run engine's listener for [memory] capture_runs / capture_agents, or undefined when capture is
 * off, so runs carry nothing for it. A succeeded chat run of an agent that is captured becomes one
 * item: its last user message and its answer. Runs without an agent, a user message or an answer
 * in text are not captured; the journal stores a text an agent already has once.
 */
export function runCaptureFor(config: MemoryConfig, sink: CaptureSink): ChatSucceededListener | undefined {
  if (!config.capture_runs && config.capture_agents.length === 0) return undefined;
  const agents = new Set(config.capture_agents);
  const captured = (agentId: string) => config.capture_runs || agents.has(agentId);
  return async (chat) => {
    const agentId = chat.input.agentId;
    if (!agentId || !captured(agentId)) return;
    const text = capturedText(chat, config.max_item_bytes);
    if (text === undefined) return;
    await sink({ agentId, sessionId: chat.input.sessionId || undefined, runId: chat.runId, text });
  };
}

/** The last user message and the answer, as one text of at most maxBytes (UTF-8); undefined when either is empty. */
export function capturedText(chat: SucceededChat, maxBytes: number): string | undefined {
  const question = lastUserText(chat.input.messages);
  const answer = chat.answer.text.trim();
  if (!question || !answer) return undefined;
  return clipBytes(`${question}\n\n${answer}`, maxBytes);
}

function lastUserText(messages: readonly ChatMessage[]): string | undefined {
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index];
    if (message?.role !== "user") continue;
    return message.parts
      .flatMap((part) => (part.type === "text" ? [part.text] : []))
      .join("\n")
      .trim();
  }
  return undefined;
}

/** Cut to at most maxBytes of UTF-8 without splitting a character. */
export function clipBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  const bytes = Buffer.from(text).subarray(0, maxBytes);
  // A cut inside a multi-byte character decodes to U+FFFD at the end: drop it.
  return bytes.toString("utf8").replace(/\uFFFD+$/, "");
}
