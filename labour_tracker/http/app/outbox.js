// Commands recorded on this device and not yet taken by the service: kept in localStorage, sent in the order they
// were recorded, each with the Idempotency-Key chosen when it was recorded, so a retry is applied once.
import { api, ApiError, Offline, randomId } from "./api.js";

const KEY = "labour-tracker.outbox";

export function waiting() {
  return JSON.parse(localStorage.getItem(KEY) || "[]");
}

let changes = 0;

// How many times the outbox changed: a reading of the labour begun before a change is out of date.
export function version() {
  return changes;
}

function save(items) {
  changes += 1;
  localStorage.setItem(KEY, JSON.stringify(items));
}

// A held command waits for the person (an ended contraction for its strength), and everything after it waits too.
export function record(method, path, body, label, { held = false } = {}) {
  const items = waiting();
  items.push({ method, path, body, label, held, key: `web-${randomId()}` });
  save(items);
}

// Change a waiting command's body and let it go (a strength picked once the contraction ended).
export function amendLast(path, change) {
  const items = waiting();
  const found = items.findLast((item) => item.path === path);
  if (!found) return false;
  Object.assign(found.body, change);
  found.held = false;
  save(items);
  return true;
}

let sending = null;

// Send what waits, oldest first; stop at the first that cannot reach the service, to keep the order.
export function flush() {
  sending ??= send().finally(() => {
    sending = null;
  });
  return sending;
}

async function send() {
  const refused = [];
  for (;;) {
    const [next] = waiting();
    if (!next || next.held || !navigator.onLine) return refused; // offline for sure: wait for the online event
    try {
      await api(next.method, next.path, next.body, { idempotencyKey: next.key });
    } catch (error) {
      if (error instanceof Offline || (error instanceof ApiError && (error.status >= 500 || error.status === 429)))
        return refused;
      refused.push(`${next.label}: ${error.message}`);
    }
    save(waiting().slice(1));
  }
}
