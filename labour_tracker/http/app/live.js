// How a follower's page hears of the labour: read once, then the live stream says when it changed.
import { api } from "./api.js";

const RETRY_MS = 3000;

// Calls `onLabour(labour or null)` with each reading and `onError(error)` on a failed one; returns a stop function.
export function watchLabour(personId, onLabour, onError) {
  const person = encodeURIComponent(personId);
  let stopped = false;
  let source = null;
  let timer = null;
  let lastEventId = null;
  let reading = false;
  let missed = false;

  // Each event is read through the same view a follower reads, so what they may see is decided in one place.
  async function read() {
    try {
      const body = await api("GET", `/birthing-person/${person}/labour/active`);
      if (!stopped) onLabour(body.labour);
      return true;
    } catch (error) {
      if (stopped) return false;
      if (error.code === "labour_not_found") {
        onLabour(null);
        return true;
      }
      onError(error);
      return false;
    }
  }

  // One reading at a time; an event heard during one calls for one more after it.
  async function readSoon() {
    if (reading) {
      missed = true;
      return;
    }
    reading = true;
    do {
      missed = false;
      await read();
    } while (missed && !stopped);
    reading = false;
  }

  function again() {
    if (!stopped) timer = setTimeout(connect, RETRY_MS);
  }

  async function connect() {
    if (stopped) return;
    if (!(await read())) return again(); // not approved yet, or offline: ask again shortly
    let ticket;
    try {
      ticket = await api("POST", "/live/tickets", { birthing_person_id: personId });
    } catch (error) {
      onError(error);
      return again();
    }
    if (stopped) return;
    const since = lastEventId === null ? "" : `&last_event_id=${encodeURIComponent(lastEventId)}`;
    source = new EventSource(`${ticket.stream}${since}`);
    const heard = (event) => {
      if (event.lastEventId) lastEventId = event.lastEventId;
      readSoon();
    };
    for (const name of ["snapshot", "contraction", "phase", "alert", "update", "labour", "completed"]) {
      source.addEventListener(name, heard);
    }
    source.addEventListener("end", () => {
      source.close();
      again(); // cut off, or the server went away: reading again says which
    });
    // A ticket opens one stream once: a dropped stream is opened again with a new one, from the last event seen.
    source.onerror = () => {
      source.close();
      again();
    };
  }

  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    if (source) source.close();
  };
}
