// Keeps the app's own files so it opens without a connection; the API is never cached.
const SHELL = "labour-tracker-shell-v1";
const FILES = [
  "/app/",
  "/app/follow",
  "/app/assets/style.css",
  "/app/assets/api.js",
  "/app/assets/dom.js",
  "/app/assets/follow.js",
  "/app/assets/live.js",
  "/app/assets/outbox.js",
  "/app/assets/person.js",
  "/app/assets/signin.js",
  "/app/assets/words.js",
  "/app/assets/icon.svg",
  "/app/assets/manifest.webmanifest",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((names) => Promise.all(names.filter((name) => name !== SHELL).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

// The network first, so a new version shows at once; the kept copy when there is no connection.
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin || !url.pathname.startsWith("/app")) return;
  event.respondWith(
    fetch(event.request)
      .then((answer) => {
        if (answer.ok) {
          const copy = answer.clone();
          caches.open(SHELL).then((cache) => cache.put(event.request, copy));
        }
        return answer;
      })
      .catch(() => caches.match(event.request, { ignoreSearch: true })),
  );
});
