// The email around a message: a greeting, the message itself, and a footer with a human
// contact and the unsubscribe link, as plain text and as minimal HTML (no images, no
// tracking, readable with styles off). Pure: the words come in through `t`.
import type { TFunction } from 'i18next';

export interface EmailParts {
  /** The person's first name or pseudonym, as the bot addresses them. */
  name: string | null;
  /** The message: paragraphs separated by blank lines. */
  body: string;
  /** The territory's human contact ("Accueil insertion, 05 49 00 00 00, 9h-12h"). */
  contact: string | undefined;
  unsubscribeUrl: string;
  lang: string;
}

export interface ComposedEmail {
  text: string;
  html: string;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

function paragraphs(text: string): string[] {
  return text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter(Boolean);
}

export function composeEmail(t: TFunction, parts: EmailParts): ComposedEmail {
  const greeting = parts.name?.trim()
    ? t('greeting', { name: parts.name.trim() })
    : t('greetingNoName');
  const contact = parts.contact ? t('contact', { contact: parts.contact }) : t('noContact');
  const body = paragraphs(parts.body);
  const text = [
    greeting,
    ...body,
    '--',
    contact,
    t('why'),
    t('unsubscribe', { url: parts.unsubscribeUrl }),
  ].join('\n\n');
  const p = (line: string) => `<p>${escapeHtml(line).replace(/\n/g, '<br>')}</p>`;
  const link = `<a href="${escapeHtml(parts.unsubscribeUrl)}">${escapeHtml(t('unsubscribeLink'))}</a>`;
  const html = [
    '<!doctype html>',
    `<html lang="${escapeHtml(parts.lang)}"><head><meta charset="utf-8"></head>`,
    '<body style="font-family:sans-serif;font-size:16px;line-height:1.5;max-width:40em">',
    p(greeting),
    ...body.map(p),
    '<hr>',
    `<div style="font-size:14px">${p(contact)}${p(t('why'))}<p>${link}</p></div>`,
    '</body></html>',
  ].join('\n');
  return { text, html };
}
