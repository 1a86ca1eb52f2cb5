import { useCallback, useEffect, useState } from "preact/hooks";
import { rpc } from "../api.js";

/**
 * Loads one RPC's answer for a page: { data, error, loading, reload }. `key` says when to load again
 * (a changed filter); reload() after a change the page made.
 */
export function useRpc(procedure, body = {}, key = "") {
  const [state, setState] = useState({ data: undefined, error: undefined, loading: true });
  // The body is compared by its JSON text: a page passes a new object literal on every render.
  const text = JSON.stringify(body);
  const reload = useCallback(async () => {
    setState((previous) => ({ ...previous, loading: true }));
    try {
      setState({ data: await rpc(procedure, JSON.parse(text)), error: undefined, loading: false });
    } catch (error) {
      setState({ data: undefined, error, loading: false });
    }
  }, [procedure, text, key]);
  useEffect(() => {
    reload();
  }, [reload]);
  return { ...state, reload };
}
