// `radfed site receive | watch | run`: getting studies in without a person at the keyboard. Settings
// given on the command line can be saved in site.json (--save), where `site run` finds them.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  AuditLog,
  openSite,
  readSiteConfig,
  ReceiverSettingsSchema,
  sitePaths,
  WatchSettingsSchema,
  writeSiteConfig,
  type ReceiverSettings,
  type WatchSettings,
  commandActor,
} from '../main/site/index.ts';
import { parsePort, parsePositiveInt } from './arguments.ts';
import { CliError } from './failure.ts';
import { isEnrolled } from '../main/site/federation/index.ts';
import { addFederationRunOptions } from './site-federation-commands.ts';
import { runSiteServices, type SiteServicesPlan } from './site-services.ts';
import { siteLogger } from './site-log.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

interface ReceiveFlags {
  dir: string;
  port?: number;
  ae?: string;
  allow: string[];
  host?: string;
  save?: boolean;
}

interface WatchFlags {
  dir: string;
  folder?: string;
  settleSeconds?: number;
  save?: boolean;
}

export function registerRunCommands(site: Command): void {
  site
    .command('receive')
    .summary('receive studies from a PACS or modality (DICOM C-STORE)')
    .description(
      'Listen for DICOM C-STORE (and answer C-ECHO) until stopped with Ctrl+C. Only the calling AE titles\n' +
        'given with --allow may send. Each instance is written to quarantine and flushed before it is\n' +
        'acknowledged, then de-identified into the research store. Flags missing here are taken from\n' +
        'site.json; --save writes them there, so that `radfed site run` starts the receiver too.',
    )
    .requiredOption('--dir <folder>', 'the site folder')
    .option('--port <port>', 'the TCP port to listen on (e.g. 11112)', (v) =>
      parsePort(v, '--port', { anyFree: false }),
    )
    .option('--ae <title>', 'our AE title, which senders must call (e.g. RADFED)')
    .option('--allow <title>', 'a calling AE title allowed to send (repeatable)', collect, [])
    .option('--host <address>', 'the address to listen on (default 0.0.0.0: every interface)')
    .option('--save', 'save these settings in site.json for `radfed site run`')
    .action(async (flags: ReceiveFlags) => {
      const dir = resolve(flags.dir);
      const settings = receiverSettings(dir, flags);
      if (flags.save) saveSettings(dir, { receiver: settings });
      await runUntilSignal(dir, { receiver: settings });
    });

  site
    .command('watch')
    .summary('ingest files dropped into a folder')
    .description(
      'Watch a folder until stopped with Ctrl+C: each file dropped in is ingested once it has stopped\n' +
        'changing, then removed from the folder; a file that cannot be ingested is moved to\n' +
        '<site>/watch-failed/ with a reason file. Write big files as NAME.partial and rename them when\n' +
        'complete to be safe with slow copies. --save stores the folder for `radfed site run`.',
    )
    .requiredOption('--dir <folder>', 'the site folder')
    .option('--folder <folder>', 'the folder to watch (outside the site folder)')
    .option(
      '--settle-seconds <n>',
      'seconds a file must stay unchanged before it is taken (default 5)',
      (v) => parsePositiveInt(v, '--settle-seconds'),
    )
    .option('--save', 'save these settings in site.json for `radfed site run`')
    .action(async (flags: WatchFlags) => {
      const dir = resolve(flags.dir);
      const settings = watchSettings(dir, flags);
      if (flags.save) saveSettings(dir, { watch: settings });
      await runUntilSignal(dir, { watch: settings });
    });

  const run = site
    .command('run')
    .summary('run the site: receiver, watched folder and federation, as set up')
    .description(
      'Start what site.json sets up (the DICOM receiver, the watched folder; set them with\n' +
        '`radfed site receive --save` and `radfed site watch --save`) and, for a site enrolled with a hub,\n' +
        'take part in the rounds of the tasks approved here (`radfed site approve`). Runs until Ctrl+C or\n' +
        'SIGTERM, which finish the file being ingested before stopping; training resumes at the next start.',
    )
    .requiredOption('--dir <folder>', 'the site folder');
  addFederationRunOptions(run).action(
    async (flags: { dir: string; untilDone?: boolean; jsonEvents?: boolean; threads?: number }) => {
      const dir = resolve(flags.dir);
      const config = readSiteConfig(sitePaths(dir));
      const federation = isEnrolled(dir);
      if (!config.receiver && !config.watch && !federation) {
        throw new CliError(
          'Nothing to run: this site has no receiver, no watched folder, and is not enrolled with a hub. Set one up with\n' +
            `  radfed site receive --dir ${dir} --port 11112 --ae RADFED --allow PACS --save\n` +
            `  radfed site watch --dir ${dir} --folder /path/to/dropbox --save\n` +
            `  radfed site enroll --dir ${dir} --hub https://HUB:8443 --token rft1....`,
        );
      }
      await runUntilSignal(dir, {
        ...(config.receiver ? { receiver: config.receiver } : {}),
        ...(config.watch ? { watch: config.watch } : {}),
        ...(federation
          ? {
              federation: {
                ...(flags.untilDone ? { untilDone: true } : {}),
                ...(flags.jsonEvents ? { jsonEvents: true } : {}),
                ...(flags.threads ? { threads: flags.threads } : {}),
              },
            }
          : {}),
      });
    },
  );
}

/** Runs the services until SIGINT or SIGTERM; a second signal stops at once. */
async function runUntilSignal(dir: string, plan: SiteServicesPlan): Promise<void> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    // Sentences on the terminal; the structured log in the site's log file (D/logs/radfed.log).
    const logger = siteLogger(dir);
    await runSiteServices(dir, plan, { signal: controller.signal, logger });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function receiverSettings(dir: string, flags: Omit<ReceiveFlags, 'dir'>): ReceiverSettings {
  const saved = readSiteConfig(sitePaths(dir)).receiver;
  const merged = {
    host: flags.host ?? saved?.host ?? '0.0.0.0',
    port: flags.port ?? saved?.port,
    aeTitle: flags.ae ?? saved?.aeTitle,
    allowedCallingAeTitles: flags.allow.length > 0 ? flags.allow : (saved?.allowedCallingAeTitles ?? []),
  };
  const missing = [
    merged.port === undefined ? '--port' : null,
    merged.aeTitle === undefined ? '--ae' : null,
    merged.allowedCallingAeTitles.length === 0 ? '--allow' : null,
  ].filter((flag) => flag !== null);
  if (missing.length > 0) {
    throw new CliError(
      `The receiver needs ${missing.join(', ')} (not saved in site.json either), e.g.\n` +
        `  radfed site receive --dir ${dir} --port 11112 --ae RADFED --allow PACS`,
    );
  }
  const parsed = ReceiverSettingsSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliError(
      `The receiver settings are not valid: ${issue?.message ?? 'invalid'} (${issue?.path.join('.')}).`,
    );
  }
  return parsed.data;
}

export function watchSettings(dir: string, flags: Omit<WatchFlags, 'dir'>): WatchSettings {
  const saved = readSiteConfig(sitePaths(dir)).watch;
  const folder = flags.folder === undefined ? saved?.folder : resolve(flags.folder);
  if (folder === undefined) {
    throw new CliError(
      `Name the folder to watch (not saved in site.json either), e.g.\n  radfed site watch --dir ${dir} --folder /path/to/dropbox`,
    );
  }
  return WatchSettingsSchema.parse({
    folder,
    settleSeconds: flags.settleSeconds ?? saved?.settleSeconds ?? 5,
  });
}

/** Writes settings into site.json, and says so in the audit log (who may send us data is the IRB's business). */
export function saveSettings(
  dir: string,
  settings: { receiver?: ReceiverSettings; watch?: WatchSettings },
): void {
  const paths = sitePaths(dir);
  writeSiteConfig(paths.config, { ...readSiteConfig(paths), ...settings });
  const site = openSite(dir);
  try {
    new AuditLog(site.database).append({
      type: 'site.settings-changed',
      actor: commandActor(),
      detail: {
        ...(settings.receiver
          ? {
              receiver: {
                host: settings.receiver.host,
                port: settings.receiver.port,
                aeTitle: settings.receiver.aeTitle,
                allowedCallingAeTitles: [...settings.receiver.allowedCallingAeTitles],
              },
            }
          : {}),
        ...(settings.watch ? { watch: { settleSeconds: settings.watch.settleSeconds } } : {}),
      },
    });
  } finally {
    site.database.close();
  }
  process.stdout.write(`Saved in ${paths.config}; \`radfed site run --dir ${dir}\` will start it.\n`);
}
