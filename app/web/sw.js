// The authenticator's service worker: the app's shell and its wasm core work offline. It precaches the
// bundle's files (listed and versioned by script/build-app) and answers them from the cache; anything else
// (the relay, the API, a chain's RPC) always goes to the network and is never cached.
const VERSION = "__VERSION__";
const CACHE = `dnavault-app-${VERSION}`;
const FILES = [
  "./",
/* __FILES__ */
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith("dnavault-app-") && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  const scope = new URL(self.registration.scope);
  const ours = event.request.method === "GET" && url.origin === scope.origin && url.pathname.startsWith(scope.pathname);
  if (!ours) return;
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const path = url.pathname === scope.pathname ? "./" : url.pathname;
      const cached = await cache.match(path === "./" ? new URL("./", scope) : event.request, { ignoreSearch: true });
      return cached ?? fetch(event.request);
    }),
  );
});
