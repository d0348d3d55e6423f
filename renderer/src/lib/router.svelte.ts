// Hash routes (#/dashboard, #/training, ...): the same files work under app:// and the web UI, and the
// address bar keeps the access token untouched. Other hashes (the skip link's) leave the page as it is.
export const ROUTES = [
  'dashboard',
  'studies',
  'review',
  'consent',
  'training-data',
  'training',
  'swarm',
  'audit',
  'settings',
] as const;
export type Route = (typeof ROUTES)[number];

export function routeOf(hash: string): Route | null {
  const name = /^#\/([a-z-]+)$/.exec(hash)?.[1];
  return (ROUTES as readonly string[]).includes(name ?? '') ? (name as Route) : null;
}

export const router = $state<{ route: Route }>({ route: 'dashboard' });

/** Follows the address's hash; call once at start. Returns the listener's remover. */
export function followHash(view: Window): () => void {
  const update = () => {
    const route = routeOf(view.location.hash);
    if (route) router.route = route;
  };
  update();
  view.addEventListener('hashchange', update);
  return () => view.removeEventListener('hashchange', update);
}
