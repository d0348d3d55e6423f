import { describe, expect, it } from 'vitest';
import { answersFrom, emptyAnswers, stepProblem, summaryLines, toSetupRequest } from './wizard-model.ts';

describe('wizard steps', () => {
  it('asks for what each step needs, in words', () => {
    const a = emptyAnswers();
    expect(stepProblem('site', a)).toMatch(/Give the site a name/);
    expect(stepProblem('hub', a)).toMatch(/Paste the enrollment token/);
    a.token = 'abc';
    expect(stepProblem('hub', a)).toMatch(/starts with "rft1\."/);
    a.enrollLater = true;
    expect(stepProblem('hub', a)).toBeNull();
    expect(stepProblem('consent', a)).toMatch(/opt-in or opt-out/);
    a.studiesKind = 'receiver';
    a.allowedCallers = '';
    expect(stepProblem('studies', a)).toMatch(/at least one PACS/);
    a.allowedCallers = 'PACS, CT01';
    a.port = '70000';
    expect(stepProblem('studies', a)).toMatch(/1 to 65535/);
    a.port = '104';
    expect(stepProblem('studies', a)).toBeNull();
    a.deidOptions = ['retain-long-full-dates', 'retain-long-modified-dates'];
    expect(stepProblem('deid', a)).toMatch(/not both/);
  });

  it('makes the setup request, and the summary never shows the token', () => {
    const a = emptyAnswers();
    Object.assign(a, {
      siteName: ' North ',
      token: 'rft1.secret-token',
      hubUrl: 'https://hub.example.org:8443',
      studiesKind: 'receiver',
      allowedCallers: 'PACS CT01',
      consentPolicy: 'opt-in',
      deidOptions: ['clean-descriptors'],
    });
    expect(toSetupRequest(a)).toEqual({
      siteName: 'North',
      hub: { token: 'rft1.secret-token', url: 'https://hub.example.org:8443' },
      studies: { kind: 'receiver', aeTitle: 'RADFED', port: 11112, allowedCallingAeTitles: ['PACS', 'CT01'] },
      consentPolicy: 'opt-in',
      deidOptions: ['clean-descriptors'],
    });
    const summary = JSON.stringify(summaryLines(a));
    expect(summary).not.toContain('secret-token');
    expect(summary).toContain('Clean descriptions and comments');
  });

  it('continues from a site made earlier', () => {
    const a = answersFrom({
      stage: 'not-enrolled',
      directory: '/x',
      preset: false,
      hub: null,
      site: {
        name: 'North',
        consentPolicy: 'opt-out',
        deidOptions: ['retain-uids'],
        studies: { kind: 'watch', folder: '/drop' },
        hasStudies: false,
      },
    });
    expect(a).toMatchObject({
      siteName: 'North',
      consentPolicy: 'opt-out',
      studiesKind: 'watch',
      watchFolder: '/drop',
    });
  });
});
