// Test support: members on real loopback sockets with real keys and real swarm.db files in a temp
// folder, for the peer-network specs. A member can be stopped and started again on the same port (its
// card's address) with the same database, as a restarted workstation would be.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publicKeyOf, rawPublicKey } from '../../../../shared/node/federation/index.ts';
import { silentLogger } from '../../../../shared/node/index.ts';
import { SwarmNode } from '../swarm-node.ts';

export interface TestMemberKeys {
  readonly name: string;
  readonly signingKey: KeyObject;
  readonly signingPublicKey: string;
  readonly exchangePublicKey: string;
  readonly exchangePrivateKey: KeyObject;
}

export function memberKeys(name: string): TestMemberKeys {
  const signing = generateKeyPairSync('ed25519');
  const exchange = generateKeyPairSync('x25519');
  return {
    name,
    signingKey: signing.privateKey,
    signingPublicKey: publicKeyOf(signing.privateKey),
    exchangePublicKey: rawPublicKey(exchange.publicKey),
    exchangePrivateKey: exchange.privateKey,
  };
}

export class PeerTestBed {
  readonly folder = mkdtempSync(join(tmpdir(), 'radfed-swarm-peers-'));
  readonly #nodes = new Set<SwarmNode>();

  async start(
    keys: TestMemberKeys,
    options: { port?: number; now?: () => Date; advertise?: string; viewTimeoutMs?: number } = {},
  ): Promise<SwarmNode> {
    const node = await SwarmNode.start({
      ...keys,
      dbPath: join(this.folder, `${keys.name}.db`),
      logger: silentLogger(),
      timeoutMs: 10_000,
      ...options,
    });
    this.#nodes.add(node);
    return node;
  }

  async stop(node: SwarmNode): Promise<number> {
    const port = Number(new URL(node.identity.address).port);
    this.#nodes.delete(node);
    await node.stop();
    return port;
  }

  /** A founder and members admitted one by one over the network. */
  async swarm(
    names: readonly string[],
    options: { viewTimeoutMs?: number } = {},
  ): Promise<{ nodes: SwarmNode[]; keys: TestMemberKeys[] }> {
    const keys = names.map(memberKeys);
    const nodes: SwarmNode[] = [];
    for (const [index, key] of keys.entries()) {
      const node = await this.start(key, options);
      if (index === 0) node.found('Test swarm');
      else await node.join((nodes[0] as SwarmNode).invite());
      nodes.push(node);
    }
    // Members admitted before the last join learn of it from the inviter's broadcast; make sure.
    await Promise.all(nodes.map((node) => node.catchUp()));
    return { nodes, keys };
  }

  async close(): Promise<void> {
    await Promise.all([...this.#nodes].map((node) => node.stop()));
    this.#nodes.clear();
    rmSync(this.folder, { recursive: true, force: true });
  }
}
