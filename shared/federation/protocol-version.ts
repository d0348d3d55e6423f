// Which hub protocol this RadFed speaks, and which versions of the other side it works with. Every
// request a site sends says its version (the `radfed-protocol` header), every hub answer says the
// hub's, and GET /v1/hub says it in its body: a hub refuses a site it cannot serve (426) and a site
// stops talking to a hub older than it can use, each with a sentence that says what to install,
// instead of one of them silently misreading the other (docs/hub-operations.md, "Upgrading").

/**
 * The hub protocol this release speaks. Bump it with any change an older peer would misread: a new
 * field whose absence changes what the other side does (a site that ignores `statisticsClipRange`
 * clips batch-norm statistics to the wrong range), a field whose meaning changes, a route or an
 * answer that moves. A field an older peer may safely ignore needs no bump. When you bump it, say
 * below what changed, and raise OLDEST_SITE_PROTOCOL unless the hub still serves older sites right.
 *
 * 1: everything before versions were checked (sites sent no header; hubs said 1 in GET /v1/hub).
 * 2: sites and hubs say their version; secure aggregation's statisticsClipRange (±64 for batch
 *    norm's running statistics) is in force at both ends.
 * 3: a site signs its secure-aggregation round keys with its enrolled key, and the hub lists each
 *    neighbour's signature and signing key (a site refuses keys without them).
 */
export const PROTOCOL_VERSION = 3;

/** The oldest site protocol this hub serves: a site below it is refused with a 426. */
export const OLDEST_SITE_PROTOCOL = 3;

/** The oldest hub protocol this site works with: a hub below it (or one that says none) is not used. */
export const OLDEST_HUB_PROTOCOL = 3;

/** The header that carries the sender's protocol version, on every request and every hub answer. */
export const PROTOCOL_HEADER = 'radfed-protocol';

/**
 * The RadFed release, named in the sentences that tell hospital IT what to install (keep equal to
 * package.json's version; protocol-version.spec.ts checks it). A release that bumps PROTOCOL_VERSION
 * bumps this too, so the sentence names a release that the older one is not.
 */
export const RADFED_RELEASE = '0.2.0';

/** What a `radfed-protocol` header said: a version, nothing, or something that is not a version. */
export type ProtocolHeader =
  | { readonly kind: 'version'; readonly version: number }
  | { readonly kind: 'absent' }
  | { readonly kind: 'garbled' };

/**
 * Reads the header without trusting it: digits only and at most 4 of them (a header of any other
 * shape is 'garbled' and never quoted back), once (a repeated header arrives joined or as a list).
 */
export function readProtocolHeader(value: string | readonly string[] | undefined): ProtocolHeader {
  if (value === undefined) return { kind: 'absent' };
  if (typeof value !== 'string' || !/^[0-9]{1,4}$/.test(value)) return { kind: 'garbled' };
  return { kind: 'version', version: Number(value) };
}

/** The hub's refusal of a site's request, in words for the site's operator and hospital IT. */
export interface ProtocolRefusal {
  readonly code: 'site-protocol-too-old' | 'site-protocol-too-new' | 'site-protocol-unknown';
  readonly message: string;
}

/** Why a hub of `hubProtocol` (serving sites from `oldestSite`) cannot serve a site, or null when it can. */
export function siteProtocolRefusal(
  site: ProtocolHeader,
  hub: { readonly protocol: number; readonly oldestSite: number; readonly release: string } = {
    protocol: PROTOCOL_VERSION,
    oldestSite: OLDEST_SITE_PROTOCOL,
    release: RADFED_RELEASE,
  },
): ProtocolRefusal | null {
  const install = `Hospital IT should install RadFed ${hub.release} (the hub's release, protocol ${hub.protocol}) on this workstation; until then this site takes no part.`;
  if (site.kind === 'garbled') {
    return {
      code: 'site-protocol-unknown',
      message: `The request's ${PROTOCOL_HEADER} header is not a protocol version (a number), so the hub cannot tell whether it can serve it. ${install}`,
    };
  }
  if (site.kind === 'absent') {
    return {
      code: 'site-protocol-too-old',
      message: `This site runs an older RadFed than the hub: it does not say which hub protocol it speaks, as releases before protocol 2 did not, and the hub speaks protocol ${hub.protocol}. An older site would misread the hub's tasks. ${install}`,
    };
  }
  if (site.version < hub.oldestSite) {
    return {
      code: 'site-protocol-too-old',
      message: `This site runs an older RadFed than the hub: it speaks hub protocol ${site.version}, and the hub serves sites from protocol ${hub.oldestSite} (its own is ${hub.protocol}). An older site would misread the hub's tasks. ${install}`,
    };
  }
  if (site.version > hub.protocol) {
    return {
      code: 'site-protocol-too-new',
      message: `This site runs a newer RadFed than the hub: it speaks hub protocol ${site.version}, the hub only ${hub.protocol}. Ask the federation's coordinator to upgrade the hub, or have hospital IT install RadFed ${hub.release} (the hub's release) on this workstation; until then this site takes no part.`,
    };
  }
  return null;
}

/** Why this site will not use a hub that speaks `hub` (from its answer's header), or null when it can. */
export function hubProtocolProblem(hub: ProtocolHeader, oldestHub = OLDEST_HUB_PROTOCOL): string | null {
  if (hub.kind === 'version' && hub.version >= oldestHub) return null;
  const says =
    hub.kind === 'version'
      ? `speaks hub protocol ${hub.version}`
      : 'does not say which hub protocol it speaks, as releases before protocol 2 did not';
  return (
    `The hub runs an older RadFed than this site: it ${says}, and this site (RadFed ${RADFED_RELEASE}) needs protocol ` +
    `${oldestHub} or later, so an older hub would misread its work. Ask the federation's coordinator to upgrade the hub ` +
    `to RadFed ${RADFED_RELEASE} or later; until then this site takes no part.`
  );
}

/**
 * The swarm's peer protocol (main/site/swarm): what members say to each other, apart from the hub's.
 * Every envelope a member signs says it, and every answer a member's peer server gives; a member
 * refuses an envelope of a protocol it cannot read, and a sender refuses an answer from one, each
 * with a sentence naming both versions (docs/swarm-learning.md, "Protocol versions"). Bump it with any
 * change of a message an older member would misread, and say below what changed.
 *
 * 1: everything before versions were checked (envelopes and answers said none).
 * 2: envelopes and answers say their version.
 */
export const SWARM_PROTOCOL_VERSION = 2;

/** The oldest swarm protocol this member talks with: a member below it (or one that says none) is refused. */
export const OLDEST_SWARM_PROTOCOL = 2;

/**
 * Why two members cannot talk, or null when they can: `peer` is what the other one said (in its
 * envelope or its answer: a number, or anything else when it said none or garbage, which counts as
 * protocol 1). `names`: both sides in words ("member 1a2b3c4d", "this member"), so that the sentence
 * reads right at either end (a receiver's refusal travels back to the sender).
 */
export function swarmProtocolProblem(
  peer: unknown,
  names: { readonly peer: string; readonly own: string },
  own: { readonly protocol: number; readonly oldest: number } = {
    protocol: SWARM_PROTOCOL_VERSION,
    oldest: OLDEST_SWARM_PROTOCOL,
  },
): string | null {
  const version = typeof peer === 'number' && Number.isInteger(peer) && peer >= 1 && peer <= 9999 ? peer : 1;
  if (version >= own.oldest && version <= own.protocol) return null;
  const says =
    version === 1 && peer !== 1
      ? 'says no swarm protocol version (a RadFed from before they were checked: protocol 1)'
      : `speaks swarm protocol ${version}`;
  const Peer = names.peer.charAt(0).toUpperCase() + names.peer.slice(1);
  const until = `until then ${names.own} sends it nothing and takes nothing from it.`;
  if (version < own.oldest)
    return (
      `${Peer} runs an older RadFed: it ${says}, and ${names.own} speaks swarm protocol ${own.protocol} ` +
      `(talking with ${own.oldest} or later), so the two would misread each other's messages. Install RadFed ` +
      `${RADFED_RELEASE} or later at ${names.peer}; ${until}`
    );
  return (
    `${Peer} runs a newer RadFed: it ${says}, and ${names.own} only swarm protocol ${own.protocol} (RadFed ` +
    `${RADFED_RELEASE}), so the two would misread each other's messages. Install the newer RadFed at ${names.own}; ${until}`
  );
}
