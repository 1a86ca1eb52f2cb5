// The console's only way to the daemon: /console/v1 JSON routes. The session cookie goes by itself;
// every change carries the session's CSRF token, which lives only in this module's memory.
let csrfToken = "";
let onSessionLost = () => undefined;

/** What to do when the daemon says the session is gone (expired, signed out elsewhere, daemon restarted). */
export function whenSessionLost(callback) {
  onSessionLost = callback;
}

/** An answer that was not 2xx: the gateway's error message, status and code. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code ?? null;
  }
}

async function request(method, path, body) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET") headers["x-palyra-csrf"] = csrfToken;
  const res = await fetch(`/console/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
  if (res.status === 204) return undefined;
  const answer = await res.json().catch(() => undefined);
  if (res.status === 401 && path !== "/session") onSessionLost();
  if (!res.ok) throw new ApiError(res.status, answer);
  return answer;
}

/** The live session (after a reload), or undefined when signed out. */
export async function currentSession() {
  try {
    const session = await request("GET", "/session");
    csrfToken = session.csrf_token;
    return session;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return undefined;
    throw error;
  }
}

export async function signIn(token) {
  const session = await request("POST", "/session", { token });
  csrfToken = session.csrf_token;
  return session;
}

export async function signOut() {
  await request("DELETE", "/session");
  csrfToken = "";
}

/** Calls one of the console's RPCs ("UsageService/ListApprovals") with a protobuf-JSON request. */
export function rpc(procedure, body = {}) {
  return request("POST", `/rpc/palyra.gateway.v1.${procedure}`, body);
}
