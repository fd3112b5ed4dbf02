// Markdown for instructions. Raw HTML inside the markdown is shown as text, not markup: only
// what markdown itself produces becomes elements, and DOMPurify checks that output as well
// (links and images with script URLs go, links open in a new tab). The result is a DOM
// fragment; no HTML string is ever assigned to the page.
import { Marked } from 'marked';
import DOMPurify from 'dompurify';

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

const marked = new Marked({
  async: false,
  gfm: true,
  renderer: {
    html({ text }) { return escapeHtml(text); },
  },
});

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer nofollow');
  }
});

export function renderMarkdown(src) {
  const html = marked.parse(String(src || ''));
  return DOMPurify.sanitize(html, {
    RETURN_DOM_FRAGMENT: true,
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed'],
    FORBID_ATTR: ['style'],
  });
}
