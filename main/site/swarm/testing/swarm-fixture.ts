// Test support: hospitals with real Ed25519 and X25519 keys from node:crypto, and ledgers built in
// memory with every member's signature, for specs that need a valid chain to tamper with.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { publicKeyOf, rawPublicKey } from '../../../../shared/node/federation/index.ts';
import { verifyChain } from '../chain-verification.ts';
import {
  genesisEntry,
  makeJoinRequest,
  memberCardOf,
  proposeEntry,
  type SwarmSiteIdentity,
} from '../founding.ts';
import {
  entryHash,
  signEntryHash,
  type EntryBody,
  type LedgerEntry,
  type QuorumRule,
  type SignedEntry,
} from '../ledger-entry.ts';
import type { MembershipState } from '../membership.ts';

export interface TestSite extends SwarmSiteIdentity {
  readonly id: string;
}

export function makeTestSite(name: string, address = `https://${name.toLowerCase()}.example:8443`): TestSite {
  const signing = generateKeyPairSync('ed25519');
  const exchange = generateKeyPairSync('x25519');
  const identity: SwarmSiteIdentity = {
    name,
    address,
    signingKey: signing.privateKey,
    signingPublicKey: publicKeyOf(signing.privateKey),
    exchangePublicKey: rawPublicKey(exchange.publicKey),
  };
  return { ...identity, id: memberCardOf(identity).id };
}

/** `entry` signed directly by `sites` (no signing record: specs craft what an attacker could). */
export function signedBy(entry: LedgerEntry, sites: readonly TestSite[]): SignedEntry {
  const hash = entryHash(entry);
  return {
    entry,
    signatures: sites.map((site) => ({ member: site.id, signature: signEntryHash(hash, site.signingKey) })),
  };
}

export interface TestSwarm {
  readonly sites: TestSite[];
  readonly chain: SignedEntry[];
  readonly state: MembershipState;
  /** Appends an entry with `body` proposed by `proposer`, signed by it and `others`. */
  add(body: EntryBody, proposer: TestSite, others?: readonly TestSite[]): SignedEntry;
}

export const TEST_NOW = new Date('2026-12-01T09:00:00.000Z');

/** A swarm founded by the first of `names`, each next one admitted by all members so far. */
export function buildTestSwarm(names: readonly string[], quorumRule: QuorumRule = 'majority'): TestSwarm {
  const sites = names.map((name) => makeTestSite(name));
  const founder = sites[0];
  if (founder === undefined) throw new Error('A test swarm needs a founder.');
  const chain: SignedEntry[] = [
    signedBy(genesisEntry(founder, { name: 'Test swarm', quorumRule, now: TEST_NOW }), [founder]),
  ];
  let state = verifyChain(null, chain).at(-1)?.state as MembershipState;
  const swarm: TestSwarm = {
    sites,
    chain,
    get state() {
      return state;
    },
    add(body, proposer, others = []) {
      const entry = signedBy(proposeEntry(state, proposer.id, body, TEST_NOW), [proposer, ...others]);
      state = verifyChain(state, [entry]).at(-1)?.state as MembershipState;
      chain.push(entry);
      return entry;
    },
  };
  for (const [index, site] of sites.entries()) {
    if (index === 0) continue;
    const secret = randomBytes(32).toString('base64url');
    const request = makeJoinRequest(
      { inviterAddress: founder.address, swarmId: state.swarmId, inviterKeyFingerprint: founder.id, secret },
      site,
    );
    const members = sites.slice(1, index);
    swarm.add(
      {
        kind: 'join',
        member: request.member,
        invitation: request.invitation,
        requestSignature: request.signature,
      },
      founder,
      members,
    );
  }
  return swarm;
}
