// Commands recorded on this device and not yet taken by the service: kept in localStorage, sent in the order they
// were recorded, each with the Idempotency-Key chosen when it was recorded, so a retry is applied once.
import { api, ApiError, Offline, randomId } from "./api.js";

const KEY = "labour-tracker.outbox";

export function waiting() {
  return JSON.parse(localStorage.getItem(KEY) || "[]");
}

function save(items) {
  localStorage.setItem(KEY, JSON.stringify(items));
}

export function record(method, path, body, label) {
  const items = waiting();
  items.push({ method, path, body, label, key: `web-${randomId()}` });
  save(items);
}

// Change a waiting command's body (an intensity picked after the button was pressed offline).
export function amendLast(path, change) {
  const items = waiting();
  const found = items.findLast((item) => item.path === path);
  if (!found) return false;
  Object.assign(found.body, change);
  save(items);
  return true;
}

let sending = null;

// Send what waits, oldest first; stop at the first that cannot reach the service, to keep the order.
export function flush() {
  sending ??= (async () => {
    const refused = [];
    try {
      for (;;) {
        const [next] = waiting();
        if (!next) break;
        try {
          await api(next.method, next.path, next.body, { idempotencyKey: next.key });
        } catch (error) {
          if (error instanceof Offline || (error instanceof ApiError && (error.status >= 500 || error.status === 429)))
            break;
          refused.push(`${next.label}: ${error.message}`);
        }
        save(waiting().slice(1));
      }
    } finally {
      sending = null;
    }
    return refused;
  })();
  return sending;
}
