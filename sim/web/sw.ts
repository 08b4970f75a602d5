/**
 * The offline phone key's service worker (only in the static site `npm run build:web` writes; the
 * simulator's server never serves it). At install it caches every file the page needs, named in
 * PRECACHE by the build with a version that changes whenever a file does; it then answers those
 * requests from the cache first, so the page opens in an underground car park with no network.
 * A new version replaces the old cache when it activates. Nothing else is cached or fetched.
 * Not here: the page (phonekey.ts), writing the site (tools/build-web.ts).
 */
// The page's type-check has the DOM library, not the worker one: what a worker offers, declared here.
interface ExtendableEvent extends Event { waitUntil(p: Promise<unknown>): void }
interface FetchEvent extends ExtendableEvent { request: Request; respondWith(r: Promise<Response>): void }
interface WorkerSelf {
  location: Location;
  clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', fn: (ev: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', fn: (ev: FetchEvent) => void): void;
}
declare const self: WorkerSelf;
export {};
/** Filled in by tools/build-web.ts: the site's files, and a hash of their contents. */
declare const PRECACHE: string[];
declare const CACHE_VERSION: string;

const CACHE = 'carkey-phonekey-' + CACHE_VERSION;

self.addEventListener('install', (ev: ExtendableEvent) => {
  ev.waitUntil(caches.open(CACHE).then((c) => c.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (ev: ExtendableEvent) => {
  ev.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith('carkey-phonekey-') && n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (ev: FetchEvent) => {
  const req = ev.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== self.location.origin) return;
  // The page itself is asked for as ./ or ./index.html, with or without a query: one cached copy.
  const lookup = req.mode === 'navigate' ? new Request(new URL('./index.html', self.location.href).href) : req;
  ev.respondWith(caches.open(CACHE).then((c) => c.match(lookup, { ignoreSearch: true })).then((hit) => hit || fetch(req)));
});
