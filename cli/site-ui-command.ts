// `radfed site ui --dir D [--port P]`: the site's screens in a browser, for headless sites and for the
// browser tests. The same renderer and the same typed API as the desktop app, served on 127.0.0.1 with
// a random access token in the address. Works on an empty folder: the setup wizard creates the site.
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  presetSetup,
  settingsFilePaths,
  SettingsStore,
  setupRequestFromPreset,
} from '../main/app/settings/index.ts';
import { SiteSession } from '../main/site/console/index.ts';
import { startSiteWebUi } from '../main/site/web-ui/index.ts';
import { createLogger } from '../shared/node/index.ts';
import { parsePort, parsePositiveInt } from './arguments.ts';

interface UiFlags {
  dir: string;
  port?: number;
  threads?: number;
  federation: boolean;
}

export function registerSiteUiCommand(site: Command): void {
  site
    .command('ui')
    .summary('open the site\u2019s screens in a browser (local web UI)')
    .description(
      'Serve the site\u2019s screens (setup wizard, dashboard, studies, consent, training, audit) on 127.0.0.1\n' +
        'and print the address to open, with its one-time access token. On a folder that is not a site yet,\n' +
        'the setup wizard creates it. For an enrolled site it also takes part in approved tasks, as\n' +
        '`radfed site run` does (do not run both on one folder; --no-federation leaves that to `site run`).\n' +
        'Settings preset by IT (docs/settings.md) apply; the user settings file is D/ui-settings.json.',
    )
    .requiredOption('--dir <folder>', 'the site folder (created by the setup wizard if it does not exist)')
    .option('--port <port>', 'the port to listen on (default: any free port)', (v) =>
      parsePort(v, '--port', { anyFree: true }),
    )
    .option('--threads <n>', 'training threads (default: all cores)', (v) => parsePositiveInt(v, '--threads'))
    .option('--no-federation', 'do not take part in federated rounds from this process')
    .action(async (flags: UiFlags) => {
      const dir = resolve(flags.dir);
      const logger = createLogger({ room: 'site-ui', defaultLevel: 'error', destination: 'stderr' });
      const settings = new SettingsStore(settingsFilePaths(join(dir, 'ui-settings.json')));
      const preset = presetSetup(settings);
      const session = await SiteSession.open(dir, {
        logger,
        autoStartFederation: flags.federation,
        origin: 'site-ui',
        ...(flags.threads ? { threads: flags.threads } : {}),
        ...(preset ? { preset: setupRequestFromPreset(preset) } : {}),
      });
      const ui = await startSiteWebUi({
        agent: session.agentPort(),
        settings,
        setup: session,
        federation: session.federation,
        logger,
        ...(flags.port === undefined ? {} : { port: flags.port }),
      }).catch(async (error: unknown) => {
        await session.close();
        throw error;
      });
      process.stdout.write(
        `RadFed site UI for ${dir}\nOpen this address in a browser on this computer (it includes the access token):\n  ${ui.url}\n` +
          'Press Ctrl+C to stop.\n',
      );
      await new Promise<void>((done) => {
        const stop = () => done();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      process.stdout.write('Stopping...\n');
      await ui.close();
      await session.close();
    });
}
