import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { deepArrayJson, deepObjectJson, hostileValue, longText, RawJson, type SeededRandom, toJsonText } from "./seeded-random.js";

/** One malformed (or borderline) request to the HTTP port. */
export interface HttpCase {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer | string;
}

const json = { "content-type": "application/json" };

/** Generates a request from one of the families below, with credentials most of the time. */
export function hostileHttpCase(random: SeededRandom, token: string): HttpCase {
  const family = random.pick([chat, chat, chat, chatBody, embeddings, transcription, models, elsewhere, authentication]);
  const made = family(random);
  const withAuth = made.headers.authorization === undefined && family !== authentication;
  return withAuth ? { ...made, headers: { authorization: `Bearer ${token}`, ...made.headers } } : made;
}

const chatFields = [
  "model",
  "messages",
  "tools",
  "tool_choice",
  "response_format",
  "max_tokens",
  "max_completion_tokens",
  "temperature",
  "top_p",
  "stop",
  "user",
  "n",
  "stream",
  "stream_options",
  "metadata",
];

function validChat(): Record<string, unknown> {
  return { model: "palyra-echo", messages: [{ role: "user", content: "hello" }] };
}

/** A chat body with one to three hostile fields, messages or tools. */
function chat(random: SeededRandom): HttpCase {
  const body = validChat();
  const changes: string[] = [];
  for (let count = 1 + random.int(3); count > 0; count--) {
    const change = random.pick([topLevel, message, tools, headersOnly]);
    changes.push(change(random, body));
  }
  const headers: Record<string, string> = { ...json };
  if (random.int(4) === 0) Object.assign(headers, hostileHeaders(random));
  return { name: `chat: ${changes.join("; ")}`, method: "POST", path: "/v1/chat/completions", headers, body: toJsonText(body) };
}

function topLevel(random: SeededRandom, body: Record<string, unknown>): string {
  const field = random.pick(chatFields);
  body[field] = hostileValue(random);
  return `${field} = ${describe(body[field])}`;
}

function message(random: SeededRandom, body: Record<string, unknown>): string {
  // 100 K characters without a break once held the daemon for seconds; now they cost their own request a few ms.
  const text = longText(random, random.pick([10, 50_000, 100_000]));
  const variants: [string, unknown][] = [
    ["role", { role: hostileValue(random), content: "x" }],
    ["content", { role: "user", content: hostileValue(random) }],
    ["long content", { role: "user", content: text }],
    [
      "parts",
      { role: "user", content: [{ type: random.pick(["text", "image_url", "audio", ""]), text: hostileValue(random), image_url: hostileValue(random) }] },
    ],
    [
      "image",
      {
        role: "user",
        content: [{ type: "image_url", image_url: { url: random.pick(["http://169.254.169.254/", "data:text/plain;base64,AA", "", "ftp://x"]) } }],
      },
    ],
    [
      "tool call",
      {
        role: "assistant",
        tool_calls: [{ id: "c", type: "function", function: { name: hostileValue(random), arguments: random.pick([deepArrayJson(500), "{", text]) } }],
      },
    ],
    ["tool message", { role: "tool", content: "x", tool_call_id: hostileValue(random) }],
  ];
  const [what, value] = random.pick(variants);
  body.messages = [value, ...(random.int(2) === 0 ? [{ role: "user", content: "again" }] : [])];
  return `messages: ${what}`;
}

function tools(random: SeededRandom, body: Record<string, unknown>): string {
  const depth = random.pick([65, 1000, 10_000]);
  const variants: [string, unknown][] = [
    ["deep parameters", [{ type: "function", function: { name: "f", parameters: new RawJson(deepObjectJson(depth)) } }]],
    ["long description", [{ type: "function", function: { name: "f", description: longText(random, 100_000) } }]],
    ["many tools", Array.from({ length: 200 }, (_, index) => ({ type: "function", function: { name: `f${index}` } }))],
    ["bad name", [{ type: "function", function: { name: hostileValue(random) } }]],
    ["parameters not an object", [{ type: "function", function: { name: "f", parameters: hostileValue(random) } }]],
  ];
  const [what, value] = random.pick(variants);
  body.tools = value;
  return `tools: ${what}`;
}

function headersOnly(random: SeededRandom, body: Record<string, unknown>): string {
  body.stream = random.int(2) === 0;
  return `stream = ${String(body.stream)}`;
}

function hostileHeaders(random: SeededRandom): Record<string, string> {
  const long = "a".repeat(random.pick([257, 4000]));
  return random.pick<Record<string, string>>([
    { "x-palyra-agent-id": long },
    { "x-palyra-session-id": long },
    { "x-request-id": long },
    { "x-palyra-routing-mode": random.pick(["nonsense", long]) },
    { "x-palyra-approval-id": long },
    { "x-palyra-failover": "maybe" },
  ]);
}

/** Bodies that are not the JSON they claim to be, or are compressed wrong. */
function chatBody(random: SeededRandom): HttpCase {
  const valid = JSON.stringify(validChat());
  const variants: [string, Record<string, string>, Buffer | string][] = [
    ["truncated JSON", json, valid.slice(0, random.int(valid.length))],
    ["random bytes", json, random.bytes(64)],
    ["JSON array", json, "[1,2,3]"],
    ["deep body", json, deepArrayJson(random.pick([65, 5000, 50_000]))],
    ["text/plain", { "content-type": "text/plain" }, valid],
    ["unknown charset", { "content-type": "application/json; charset=ebcdic" }, valid],
    ["corrupt gzip", { ...json, "content-encoding": "gzip" }, gzipSync(valid).subarray(0, 12)],
    ["corrupt deflate", { ...json, "content-encoding": "deflate" }, random.bytes(40)],
    ["corrupt br", { ...json, "content-encoding": "br" }, brotliCompressSync(valid).subarray(3)],
    ["unknown encoding", { ...json, "content-encoding": "zstd-ish" }, deflateSync(valid)],
  ];
  const [name, headers, body] = random.pick(variants);
  return { name: `chat body: ${name}`, method: "POST", path: "/v1/chat/completions", headers, body };
}

function embeddings(random: SeededRandom): HttpCase {
  const body: Record<string, unknown> = { model: "palyra-embed", input: ["a", "b"] };
  const field = random.pick(["input", "dimensions", "encoding_format", "model", "user"]);
  body[field] = random.pick([hostileValue(random), 1e9, 8193, 4294967296, Array.from({ length: 3000 }, () => "x"), [""], [[1, 2]]]);
  return { name: `embeddings: ${field} = ${describe(body[field])}`, method: "POST", path: "/v1/embeddings", headers: json, body: toJsonText(body) };
}

/** Multipart uploads that are broken in the ways a parser meets in the wild. */
function transcription(random: SeededRandom): HttpCase {
  const boundary = "palyra-fuzz";
  const part = (name: string, value: string, file = false) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${file ? '; filename="a.wav"\r\nContent-Type: audio/wav' : ""}\r\n\r\n${value}\r\n`;
  const whole = `${part("model", "palyra-transcribe")}${part("file", "RIFF....WAVE", true)}--${boundary}--\r\n`;
  const variants: [string, string, string][] = [
    ["no boundary", "multipart/form-data", whole],
    ["wrong boundary", "multipart/form-data; boundary=other", whole],
    ["truncated", `multipart/form-data; boundary=${boundary}`, whole.slice(0, random.int(whole.length))],
    ["huge field name", `multipart/form-data; boundary=${boundary}`, `${part("f".repeat(5000), "x")}${part("file", "x", true)}--${boundary}--\r\n`],
    [
      "many fields",
      `multipart/form-data; boundary=${boundary}`,
      `${Array.from({ length: 40 }, (_, index) => part(`f${index}`, "x")).join("")}--${boundary}--\r\n`,
    ],
    ["no file", `multipart/form-data; boundary=${boundary}`, `${part("model", "palyra-transcribe")}--${boundary}--\r\n`],
    [
      "bad fields",
      `multipart/form-data; boundary=${boundary}`,
      `${part("response_format", "mp3")}${part("temperature", "hot")}${part("file", "x", true)}--${boundary}--\r\n`,
    ],
    ["not multipart", "application/json", "{}"],
  ];
  const [name, contentType, body] = random.pick(variants);
  return { name: `transcription: ${name}`, method: "POST", path: "/v1/audio/transcriptions", headers: { "content-type": contentType }, body };
}

function models(random: SeededRandom): HttpCase {
  const path = random.pick(["/v1/models/%ZZ", "/v1/models/%", `/v1/models/${"m".repeat(4000)}`, "/v1/models/a%2Fb", "/v1/models/palyra-echo/extra"]);
  return { name: `models: ${path.slice(0, 40)}`, method: "GET", path, headers: {} };
}

function elsewhere(random: SeededRandom): HttpCase {
  const [method, path] = random.pick([
    ["GET", "/"],
    ["GET", "/nothing/here"],
    ["POST", "/v2/chat/completions"],
    ["GET", "/v1/chat/completions"],
    ["DELETE", "/v1/models"],
    ["GET", "/%ZZ"],
    ["GET", "/oauth/callback?state=%ZZ"],
    ["GET", "/oauth/callback"],
  ] as const);
  return { name: `elsewhere: ${method} ${path}`, method, path, headers: {} };
}

function authentication(random: SeededRandom): HttpCase {
  const authorization = random.pick([undefined, "Basic abc", "Bearer", "Bearer wrong-token", `Bearer ${"t".repeat(8000)}`, "Bearer plk_000000000000_xxxx"]);
  return {
    name: `auth: ${authorization?.slice(0, 20) ?? "none"}`,
    method: "POST",
    path: "/v1/chat/completions",
    headers: { ...json, ...(authorization !== undefined && { authorization }) },
    body: JSON.stringify(validChat()),
  };
}

function describe(value: unknown): string {
  if (value instanceof RawJson) return `raw JSON of ${value.text.length} chars`;
  const text = typeof value === "string" ? `string of ${value.length}` : (JSON.stringify(value) ?? String(value));
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
