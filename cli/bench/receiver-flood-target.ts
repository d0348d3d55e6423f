// The receiver under `radfed bench receiver-flood`, in a process of its own so that its resident
// memory is its own. Started as `node --import tsx receiver-flood-target.ts <site folder>`; makes a
// site there, starts a receiver on a loopback port that allows the calling AE title PACS, prints
// `port <n>` and runs until killed. It uses only the receiver's oldest API, so the same file can be
// copied into an older tree to measure that tree's receiver (docs/benchmarks.md says how).
import { initSite, openSite } from '../../main/site/store/index.ts';
import { DicomReceiver } from '../../main/site/receiver/index.ts';

const folder = process.argv[2];
if (folder === undefined) throw new Error('Usage: receiver-flood-target.ts <new site folder>');
initSite(folder, { name: 'receiver flood bench', deidOptions: [] });
const receiver = new DicomReceiver({
  site: openSite(folder),
  settings: { host: '127.0.0.1', port: 0, aeTitle: 'RADFED', allowedCallingAeTitles: ['PACS'] },
});
const { port } = await receiver.start();
process.stdout.write(`port ${port}\n`);
