// How a follower's page hears of the labour: polling now; a live stream replaces this one module.
import { api } from "./api.js";

const EVERY_MS = 3000;

// Calls `onLabour(labour or null)` with each reading and `onError(error)` on a failed one; returns a stop function.
export function watchLabour(personId, onLabour, onError) {
  let stopped = false;
  let timer = null;
  async function read() {
    try {
      const body = await api("GET", `/birthing-person/${encodeURIComponent(personId)}/labour/active`);
      if (!stopped) onLabour(body.labour);
    } catch (error) {
      if (stopped) return;
      if (error.code === "labour_not_found") onLabour(null);
      else onError(error);
    }
    if (!stopped) timer = setTimeout(read, EVERY_MS);
  }
  read();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
