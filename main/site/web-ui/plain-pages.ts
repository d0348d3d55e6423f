// Small server-made pages for when the renderer cannot be shown. Plain HTML with no script and no
// inline style (the CSP forbids both), readable in light and dark through `color-scheme`.

function page(title: string, paragraphs: string[]): string {
  const body = paragraphs.map((text) => `<p>${text}</p>`).join('\n    ');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="color-scheme" content="light dark" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>RadFed: ${title}</title>
  </head>
  <body>
    <main>
    <h1>${title}</h1>
    ${body}
    </main>
  </body>
</html>
`;
}

export const ACCESS_TOKEN_PAGE = page('Access token missing or wrong', [
  'This RadFed site interface only opens with the access token that was printed when it started.',
  'Open the full address that <code>radfed site ui</code> printed, including the part after <code>?token=</code>. If the interface was restarted since, it printed a new address: use that one.',
]);

export const RENDERER_NOT_BUILT_PAGE = page('The interface has not been built', [
  'The site agent is running, but the files of its screens are missing.',
  'Run <code>npm run build:renderer</code> in the RadFed folder, then reload this page.',
]);

export const NOT_FOUND_PAGE = page('Page not found', [
  'There is nothing at this address. Go back to the dashboard.',
]);

export const WRONG_HOST_PAGE = page('Address not allowed', [
  'This interface answers only on the loopback address it printed. Open that address exactly.',
]);
