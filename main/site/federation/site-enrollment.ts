// `radfed site enroll`: the site makes its keys, presents the one-time token to the hub, pins the hub's
// CA certificate and signing key (fingerprints carried by the token), and keeps all of it in the site
// folder (private keys mode 0600). The steps are shared/node/federation's enrollSite, with first contact
// (the pinned CA, then every request) going through the site's HTTPS proxy where it has one.
import type { Agent } from 'node:https';
import {
  enrollSite,
  parseEnrollmentToken,
  type SiteEnrollment,
} from '../../../shared/node/federation/index.ts';
import { AuditLog, commandActor } from '../audit/index.ts';
import { openSite } from '../store/index.ts';
import { explainHubError } from './explain.ts';
import { fetchPinnedCa } from './pinned-ca.ts';
import { isEnrolled, saveEnrollment } from './enrollment-store.ts';
import { ProxyTunnelAgent, proxyFor } from './proxy-tunnel.ts';
import { SyncError } from './sync-error.ts';

export interface EnrollOptions {
  readonly siteDir: string;
  readonly token: string;
  /** The hub's address; default: the address the token carries. */
  readonly hubUrl?: string;
  /** The name the hub knows the site by; default: the site's name in site.json. */
  readonly siteName?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly clock?: () => Date;
  /** Who the audit log names for the enrollment (default: the OS user, as for commands). */
  readonly actor?: string;
}

export interface EnrollResult {
  readonly hubUrl: string;
  readonly hubName: string;
  readonly siteId: string;
  readonly siteName: string;
  readonly viaProxy: string | null;
}

export async function enrollSiteWithHub(options: EnrollOptions): Promise<EnrollResult> {
  const clock = options.clock ?? (() => new Date());
  if (isEnrolled(options.siteDir)) {
    throw new SyncError(
      'already-enrolled',
      'This site is already enrolled with a hub (federation/hub.json). To enroll it again, move the federation ' +
        'folder and the keys/federation-*.key files aside first.',
    );
  }
  const site = openSite(options.siteDir);
  const siteName = options.siteName ?? site.config.name;
  site.database.close();
  const token = parseEnrollmentToken(options.token);
  const hubUrl = normaliseHubUrl(options.hubUrl ?? token.hubUrl);
  const proxy = proxyFor(hubUrl, options.env);
  const agent: Agent | undefined = proxy ? new ProxyTunnelAgent(proxy) : undefined;
  let enrollment: SiteEnrollment;
  try {
    enrollment = await enrollSite({
      token: options.token,
      siteName,
      hubUrl,
      ...(agent ? { agent } : {}),
      fetchCa: (url, caFingerprint) => fetchPinnedCa(url, caFingerprint, proxy),
    });
  } catch (error) {
    throw explainHubError(error, hubUrl);
  } finally {
    agent?.destroy();
  }
  saveEnrollment(options.siteDir, enrollment, clock());
  const again = openSite(options.siteDir);
  try {
    new AuditLog(again.database, clock).append({
      type: 'federation.enrolled',
      actor: options.actor ?? commandActor(),
      detail: {
        hubUrl,
        hubName: enrollment.hub.name,
        siteId: enrollment.siteId,
        siteName: enrollment.siteName,
        caFingerprint: enrollment.hub.caFingerprint,
        signingKeyFingerprint: enrollment.hub.signingKeyFingerprint,
      },
    });
  } finally {
    again.database.close();
  }
  return {
    hubUrl,
    hubName: enrollment.hub.name,
    siteId: enrollment.siteId,
    siteName: enrollment.siteName,
    viaProxy: proxy ? proxy.url.host : null,
  };
}

function normaliseHubUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.includes('://') ? text : `https://${text}`);
  } catch {
    throw new SyncError(
      'hub-problem',
      `"${text}" is not a hub address; give it like https://hub.example.org:8443.`,
    );
  }
  if (url.protocol !== 'https:') {
    throw new SyncError(
      'hub-problem',
      `The hub speaks HTTPS only; use https://${url.host} instead of ${url.protocol}//.`,
    );
  }
  return url.origin;
}
