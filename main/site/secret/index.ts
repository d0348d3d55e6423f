export { loadOrCreateSiteSecret, readSiteSecret, SiteSecretError, SITE_SECRET_BYTES } from './site-secret.ts';
