// The dashboard's first-day checklist from the site's real state: studies stored, consent recorded (and
// what an import left out for lack of it), labels, approvals. Counts only; no patient identifier.
import type { FirstDayView, SiteStatus } from '../../../shared/ipc/index.ts';
import { TaskStore } from '../cohort/index.ts';
import { ConsentExclusions } from '../consent/index.ts';
import { isEnrolled, listApprovals } from '../federation/index.ts';
import type { CohortAgentPort } from './handlers-cohort.ts';
import type { IpcHandlers } from './ipc-handlers.ts';

export interface FirstDayAgentPort extends CohortAgentPort {
  status(): SiteStatus | Promise<SiteStatus>;
}

export function createFirstDayHandlers(agent: FirstDayAgentPort): Pick<IpcHandlers, 'site:first-day'> {
  return {
    'site:first-day': async (): Promise<FirstDayView> => {
      const status = await agent.status();
      const db = agent.site.database;
      const consentPatients =
        db.prepare<[], { n: number }>('SELECT COUNT(DISTINCT pseudonym) AS n FROM consent_entries').get()
          ?.n ?? 0;
      const keptOut = new ConsentExclusions(db).list();
      const tasks = new TaskStore(db).list();
      return {
        studies: status.counts.studies,
        consentPolicy: status.consentPolicy,
        consentPatients,
        keptOutForConsent: {
          patients: new Set(keptOut.map((entry) => entry.pseudonym)).size,
          files: keptOut.reduce((sum, entry) => sum + entry.files, 0),
        },
        siteTasks: tasks.length,
        labelledStudies: tasks.reduce((sum, task) => sum + task.labelledStudies, 0),
        approvals: listApprovals(db).length,
        enrolled: isEnrolled(status.directory),
      };
    },
  };
}
