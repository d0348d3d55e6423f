// Finds the agent: the desktop app's preload sets `window.radfed`; the local web UI is served over
// http with an access token in the address, from which the web bridge is built.
import type { RadfedApi } from '../../shared/ipc/index.ts';
import { createWebBridge, readAccessToken } from './bridge-web.ts';

export type AgentConnection =
  { kind: 'connected'; api: RadfedApi } | { kind: 'problem'; title: string; explanation: string };

export function connectToAgent(view: Window): AgentConnection {
  if (view.radfed) return { kind: 'connected', api: view.radfed };
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
