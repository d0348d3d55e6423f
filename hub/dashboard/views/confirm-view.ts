// A confirmation page for an action that cannot be undone (stop a task, remove a site): what will
// happen in words, a button that does it (a POST with the session's CSRF token), and a way back.
import { html, type SafeHtml } from '../html.ts';

export interface Confirmation {
  heading: string;
  /** Paragraphs saying what happens. */
  consequences: string[];
  action: string;
  button: string;
  cancelHref: string;
  csrfToken: string;
}

export function confirmContent(view: Confirmation): SafeHtml {
  return html`<h1>${view.heading}</h1>
    <section class="panel" aria-label="What happens">
      ${view.consequences.map((line) => html`<p>${line}</p>`)}
    </section>
    <form method="post" action="${view.action}">
      <input type="hidden" name="csrf" value="${view.csrfToken}" />
      <button type="submit" class="danger">${view.button}</button>
      <a class="button quiet" href="${view.cancelHref}">Cancel</a>
    </form>`;
}
