// Finds the agent: the desktop app's preload sets `window.radfedIpc`, a raw transport from which the
// API is built here, on the page's side of contextBridge (an error thrown across the bridge would
// lose its code); the local web UI is served over http with an access token in the address, from
// which the web bridge is built.
import { createRadfedApi, type RadfedApi } from '../../shared/ipc/index.ts';
import { createWebBridge, readAccessToken } from './bridge-web.ts';

export type AgentConnection =
  { kind: 'connected'; api: RadfedApi } | { kind: 'problem'; title: string; explanation: string };

export function connectToAgent(view: Window): AgentConnection {
  const transport = view.radfedIpc;
  if (transport) {
    return {
      kind: 'connected',
      api: createRadfedApi((channel, payload) => transport.invoke(channel, payload)),
    };
  }
  const { protocol, origin } = view.location;
  if (protocol === 'http:' || protocol === 'https:') {
    const token = readAccessToken(view.location);
    if (token) return { kind: 'connected', api: createWebBridge(origin, token) };
    return {
      kind: 'problem',
      title: 'Access token missing or wrong',
      explanation:
        'Open the full address that `radfed site ui` printed, including the part after ?token=. If the interface was restarted, use the new address it printed.',
    };
  }
  return {
    kind: 'problem',
    title: 'RadFed is not connected',
    explanation: 'Open this screen from the RadFed desktop app or through `radfed site ui`.',
  };
}
