import { describe, expect, it } from 'vitest';
import { dateChoiceOf, withDateChoice } from './deid-choices.ts';
import {
  answersFrom,
  emptyAnswers,
  hubCheckKey,
  stepProblem,
  stepProblemField,
  summaryLines,
  toSetupRequest,
} from './wizard-model.ts';

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
      networkAddresses: [],
      hub: null,
      site: {
        name: 'North',
        consentPolicy: 'opt-out',
        consentScope: 'chest imaging research',
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

  it('refuses a hub address without https://, beside the address field', () => {
    const a = { ...emptyAnswers(), token: 'rft1.abc', hubUrl: 'hub.example.org:8443' };
    expect(stepProblem('hub', a)).toMatch(/starts with https:\/\/.*type https:\/\/hub.example.org:8443/);
    expect(stepProblemField('hub', a)).toBe('hub-url');
    a.hubUrl = 'https://hub.example.org:8443';
    expect(stepProblem('hub', a)).toBeNull();
  });

  it('asks for a new hub check when the token, address or name changes', () => {
    const a = { ...emptyAnswers(), token: 'rft1.abc', siteName: 'North' };
    const before = hubCheckKey(a);
    expect(hubCheckKey({ ...a, hubUrl: 'https://other.example.org' })).not.toBe(before);
    expect(hubCheckKey({ ...a, token: 'rft1.abd' })).not.toBe(before);
    expect(hubCheckKey({ ...a, siteName: "St Mary's" })).not.toBe(before);
  });

  it('takes a name with an apostrophe at step 1, and shows a refused one beside the name', () => {
    const a = { ...emptyAnswers(), siteName: "St Mary's Radiology" };
    expect(stepProblem('site', a)).toBeNull();
    a.siteName = 'North/South';
    expect(stepProblem('site', a)).toMatch(/cannot contain/);
    expect(stepProblemField('site', a)).toBe('site-name');
  });

  it('keeps one date option at most: the radio group replaces the one before', () => {
    let options = withDateChoice(['clean-descriptors'], 'retain-long-full-dates');
    expect(dateChoiceOf(options)).toBe('retain-long-full-dates');
    options = withDateChoice(options, 'retain-long-modified-dates');
    expect(options).toEqual(['clean-descriptors', 'retain-long-modified-dates']);
    expect(withDateChoice(options, '')).toEqual(['clean-descriptors']);
  });
});
