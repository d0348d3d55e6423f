// The site's own consent gate: the consent register under the site's policy. A task's consent scope
// is the use asked about; a task without one is asked about under the site's own scope.
import { ConsentExclusions, ConsentRegister } from '../consent/index.ts';
import type { Site } from '../store/index.ts';
import type { ConsentCheck } from './consent-check.ts';

export function siteConsentCheck(site: Pick<Site, 'database' | 'secret' | 'config'>): ConsentCheck {
  const register = new ConsentRegister(site.database, {
    secret: site.secret,
    policy: site.config.consentPolicy,
    ...(site.config.consentScope !== undefined && { scope: site.config.consentScope }),
  });
  return { isIn: (pseudonym, scope) => register.isPatientIn(pseudonym, scope) };
}

/** What the consent register kept out at ingest: never de-identified, so not in the research store. */
export function ingestConsentExclusions(site: Pick<Site, 'database'>): {
  patients: number;
  studies: number;
  files: number;
} {
  const excluded = new ConsentExclusions(site.database).list();
  return {
    patients: new Set(excluded.map((e) => e.pseudonym)).size,
    studies: excluded.filter((e) => e.studyUid !== null).length,
    files: excluded.reduce((sum, e) => sum + e.files, 0),
  };
}
