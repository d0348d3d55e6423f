// `radfed site held list|show|clean|release|purge --dir D`: the review queue of files de-identification
// held back, from the command line (the Review page does the same). Output names held files by number
// and says why in plain words; nothing from a file's header is ever printed. The actor of each audit
// entry is the account that ran the command.
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { HeldActionResult, HeldFilePolicy, HeldQueueFile } from '../shared/ipc/index.ts';
import { openSite, type Site } from '../main/site/index.ts';
import { closeBurnedInOcr } from '../main/site/burned-in/index.ts';
import { settingsFilePaths, SettingsStore } from '../main/app/settings/index.ts';
import {
  cleanAndRelease,
  currentHeldFilePolicy,
  deleteHeld,
  HELD_FILE_POLICIES,
  HeldPolicyLockedError,
  setHeldFilePolicy,
  heldFileView,
  heldPreview,
  heldRow,
  listHeldFiles,
  releaseAsIs,
} from '../main/site/held/index.ts';
import { parsePositiveInt } from './arguments.ts';
import { CliError } from './failure.ts';
import { siteLogger } from './site-log.ts';

interface HeldFlags {
  dir: string;
  json?: boolean;
}
interface OneHeldFlags extends HeldFlags {
  id: number;
}

/** The account that ran the command: the person a privacy officer can ask. */
function commandUser(): string {
  try {
    return userInfo().username.trim() || 'unknown account';
  } catch {
    return (process.env.USER ?? '').trim() || 'unknown account';
  }
}

const SOURCE_WORDS = {
  receiver: 'received from a PACS or modality',
  'watched-folder': 'from the watched folder',
  import: 'imported',
} as const;
const ACTION_WORDS = {
  clean: 'clean (`site held clean`)',
  'release-as-is': 'release as is once checked (`site held release --checked-by NAME`)',
  delete: 'delete (`site held purge`)',
} as const;

export function describeHeldFile(file: HeldQueueFile): string {
  return [
    `Held file ${file.id} (${SOURCE_WORDS[file.source]}, held ${file.heldAt.slice(0, 16).replace('T', ' ')} UTC)`,
    `  ${file.plainReason}`,
    ...(file.copyPresent ? [] : ['  Its identified copy is no longer in quarantine.']),
    `  You can: ${file.actions.map((a) => ACTION_WORDS[a]).join('; ')}.`,
  ].join('\n');
}

export function describeHeldResult(result: HeldActionResult): string {
  switch (result.outcome) {
    case 'released':
      return `Held file ${result.id} was ${result.how === 'cleaned' ? 'cleaned, ' : ''}de-identified and stored in the research store; its identified copy was deleted.`;
    case 'excluded':
      return `Held file ${result.id} was not stored: ${result.reason}. Its identified copy was deleted.`;
    case 'still-held':
      return `Held file ${result.id} is still held: ${result.plainReason}`;
    case 'deleted':
      return `Held file ${result.id} was deleted from quarantine.`;
  }
}

/** IT's locked value of `studies.heldFilePolicy` on this computer (as `site ui` reads it), or null. */
function lockedPolicy(siteDirectory: string): HeldFilePolicy | null {
  const entry = new SettingsStore(settingsFilePaths(join(siteDirectory, 'ui-settings.json'))).view().settings[
    'studies.heldFilePolicy'
  ];
  return entry?.locked ? (entry.value as HeldFilePolicy) : null;
}

async function withSite<T>(dir: string, work: (site: Site) => Promise<T>): Promise<T> {
  const site = openSite(resolve(dir));
  try {
    return await work(site);
  } finally {
    site.database.close();
  }
}

const print = (json: boolean | undefined, value: unknown, words: string) =>
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${words}\n`);

export function registerSiteHeldCommands(site: Command): void {
  const held = site
    .command('held')
    .summary('review files held back by de-identification: list, show, clean, release, purge')
    .description(
      'Files that may carry patient details in the picture itself (ultrasound, screen captures, images\n' +
        'marked Burned In Annotation YES) are held in quarantine until a person decides. Releasing goes\n' +
        'through the same de-identification and checks as an import; each action is in the audit log.',
    );
  const one = (name: string, summary: string) =>
    held
      .command(name)
      .summary(summary)
      .requiredOption('--dir <folder>', 'the site folder')
      .requiredOption('--id <number>', 'the held file number (from `site held list`)', (v) =>
        parsePositiveInt(v, '--id'),
      )
      .option('--json', 'print the result as JSON');

  held
    .command('list')
    .summary('list the held files with why each was held')
    .requiredOption('--dir <folder>', 'the site folder')
    .option('--json', 'print the list as JSON')
    .action((flags: HeldFlags) =>
      withSite(flags.dir, async (s) => {
        const files = listHeldFiles(s);
        const words = files.length === 0 ? 'No files are held.' : files.map(describeHeldFile).join('\n\n');
        print(flags.json, files, words);
      }),
    );

  one('show', 'show one held file and what can be done with it')
    .option('--preview <file.png>', 'also write its picture (pixels only) to this PNG file on this computer')
    .action((flags: OneHeldFlags & { preview?: string }) =>
      withSite(flags.dir, async (s) => {
        const file = heldFileView(s, heldRow(s, flags.id));
        let words = `${describeHeldFile(file)}\n  Technical detail: ${file.technicalReason}`;
        if (flags.preview) {
          const { png, width, height } = await heldPreview(s, flags.id);
          writeFileSync(resolve(flags.preview), png, { mode: 0o600 });
          words += `\n  Picture written to ${resolve(flags.preview)} (${width} x ${height} pixels).`;
        }
        print(flags.json, file, words);
      }),
    );

  one('release', 'release a held file as is, once a person checked the picture has no text')
    .requiredOption('--checked-by <name>', 'the name of the person who checked the picture')
    .action((flags: OneHeldFlags & { checkedBy: string }) =>
      withSite(flags.dir, async (s) => {
        const result = await releaseAsIs(s, flags.id, flags.checkedBy, {
          actor: commandUser(),
          logger: siteLogger(s.directory),
        });
        // Still held is a refusal: its sentence on stderr, exit status 1 (the JSON still printed).
        if (result.outcome === 'still-held') {
          if (flags.json) print(true, result, '');
          throw new CliError(describeHeldResult(result));
        }
        print(flags.json, result, describeHeldResult(result));
      }),
    );

  held
    .command('policy')
    .summary('show or set what ingest does with images that may have text in the picture')
    .description(
      'hold (the default): they wait for a person. clean-automatically: cleaned at ingest, and released\n' +
        'when a second reading finds no patient detail. clean-and-ask: cleaned at ingest, then a person\n' +
        'checks each. Refused when IT locked `studies.heldFilePolicy` on this computer (docs/settings.md).',
    )
    .requiredOption('--dir <folder>', 'the site folder')
    .option('--set <policy>', 'hold, clean-automatically or clean-and-ask')
    .option('--json', 'print the policy as JSON')
    .action((flags: HeldFlags & { set?: string }) =>
      withSite(flags.dir, async (s) => {
        const locked = lockedPolicy(s.directory);
        if (flags.set !== undefined) {
          const wanted = HELD_FILE_POLICIES.find((p) => p === flags.set?.trim());
          if (!wanted) {
            throw new CliError(`--set must be one of ${HELD_FILE_POLICIES.join(', ')}. Nothing was changed.`);
          }
          if (locked !== null && locked !== wanted) throw new HeldPolicyLockedError();
          setHeldFilePolicy(s, wanted, { actor: commandUser() });
        }
        const policy = currentHeldFilePolicy(s);
        print(
          flags.json,
          { policy, locked: locked !== null },
          `Images that may have text in the picture: ${policy}${locked !== null ? ' (locked by IT)' : ''}.`,
        );
      }),
    );

  one('purge', 'delete a held file from quarantine').action((flags: OneHeldFlags) =>
    withSite(flags.dir, async (s) => {
      const result = await deleteHeld(s, flags.id, { actor: commandUser() });
      print(flags.json, result, describeHeldResult(result));
    }),
  );

  one('clean', 'cover the text in the picture, read it again, and release it if none is left')
    .option('--all-text', 'cover every text found, not only what matches the patient\u2019s details')
    .action((flags: OneHeldFlags & { allText?: boolean }) =>
      withSite(flags.dir, async (s) => {
        try {
          const result = await cleanAndRelease(s, flags.id, {
            actor: commandUser(),
            logger: siteLogger(s.directory),
            policy: flags.allText ? 'all-text' : 'identifying',
          });
          if (result.outcome === 'still-held') {
            if (flags.json) print(true, result, '');
            throw new CliError(describeHeldResult(result));
          }
          print(flags.json, result, describeHeldResult(result));
        } finally {
          // The OCR worker would keep the command running.
          await closeBurnedInOcr();
        }
      }),
    );
}
