/** Who is calling the daemon, as established by the access check of the transport. */
export interface Caller {
  /** "admin" for the admin token; later, a client API key id. */
  id: string;
  kind: "admin";
}

export const adminCaller: Caller = { id: "admin", kind: "admin" };
