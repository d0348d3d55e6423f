// The web shell (`radfed site ui`): the renderer served on loopback, and the site console's dispatcher
// behind POST /api/invoke. renderer-files is shared with Electron's app:// protocol.
export {
  startSiteWebUi,
  SiteWebUiError,
  API_INVOKE_PATH,
  type SiteWebUi,
  type SiteWebUiOptions,
} from './web-ui-server.ts';
export {
  contentTypeFor,
  defaultRendererDir,
  resolveRendererFile,
  RENDERER_CONTENT_SECURITY_POLICY,
  RENDERER_SECURITY_HEADERS,
} from './renderer-files.ts';
export { ACCESS_TOKEN_PAGE, NOT_FOUND_PAGE, RENDERER_NOT_BUILT_PAGE } from './plain-pages.ts';
