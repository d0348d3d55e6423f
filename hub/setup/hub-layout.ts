// Where a hub keeps its things inside its folder. Private keys are files of mode 0600.
import { join } from 'node:path';

export interface HubLayout {
  readonly root: string;
  readonly config: string;
  readonly database: string;
  readonly blobs: string;
  /** Request bodies being received, and partial uploads (.part files) when blobs live in this folder. */
  readonly uploads: string;
  readonly keys: string;
  readonly caKey: string;
  readonly caCert: string;
  readonly serverKey: string;
  readonly serverCert: string;
  readonly signingKey: string;
  readonly exchangeKey: string;
}

export function hubLayout(root: string): HubLayout {
  const keys = join(root, 'keys');
  return {
    root,
    config: join(root, 'hub.json'),
    database: join(root, 'hub.db'),
    blobs: join(root, 'blobs'),
    uploads: join(root, 'uploads'),
    keys,
    caKey: join(keys, 'ca.key.pem'),
    caCert: join(keys, 'ca.cert.pem'),
    serverKey: join(keys, 'server.key.pem'),
    serverCert: join(keys, 'server.cert.pem'),
    signingKey: join(keys, 'signing.key.pem'),
    exchangeKey: join(keys, 'exchange.key.pem'),
  };
}
