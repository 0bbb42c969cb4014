/**
 * Renders a channel-neutral send effect for what a channel can show. With buttons (Telegram,
 * Slack, web chat): the text and one button per answer. Without (SMS): numbered options in the
 * text and a short footer ("Répondez 1, 2 ou 3."). Texts stay short: every SMS part is paid.
 */
import type { Localizer } from '../i18n/localizer.js';
import { answerHint, smsFooter } from './prompt.js';
import type { AskSpec, SendEffect } from './types.js';

export interface RenderCaps {
  buttons: boolean;
  /** Characters a button label can show; longer labels are cut with "…". */
  maxChoiceLabel: number;
}

export interface RenderedButton {
  label: string;
  payload: { nodeId: string; choiceId: string };
}

export interface Rendered {
  text: string;
  buttons?: RenderedButton[];
}

/** The answers a question offers as (choice id, label) pairs, for buttons or numbered lines. */
export function answerOptions(
  spec: AskSpec,
  loc: Localizer,
): { id: string; label: string }[] | undefined {
  switch (spec.kind) {
    case 'single':
    case 'multiple':
      return spec.choices ?? [];
    case 'yesno':
      return [
        { id: 'yes', label: loc.system('yes') },
        { id: 'no', label: loc.system('no') },
      ];
    case 'scale': {
      const min = spec.min ?? 1;
      const max = spec.max ?? 5;
      return Array.from({ length: max - min + 1 }, (_, i) => ({
        id: String(min + i),
        label: String(min + i),
      }));
    }
    default:
      return undefined;
  }
}

function cut(label: string, max: number): string {
  const chars = [...label];
  return chars.length <= max ? label : `${chars.slice(0, Math.max(1, max - 1)).join('')}…`;
}

function scaleLegend(spec: AskSpec, loc: Localizer): string | undefined {
  if (spec.kind !== 'scale' || !spec.labels) return undefined;
  const min = spec.min ?? 1;
  const max = spec.max ?? 5;
  const parts: string[] = [];
  if (spec.labels.min) parts.push(loc.system('scaleEnd', { value: min, label: spec.labels.min }));
  if (spec.labels.max) parts.push(loc.system('scaleEnd', { value: max, label: spec.labels.max }));
  return parts.length > 0 ? parts.join(', ') : undefined;
}

export function render(effect: SendEffect, caps: RenderCaps, loc: Localizer): Rendered {
  const spec = effect.ask;
  if (!spec || (effect.role !== 'ask' && effect.role !== 'retry')) return { text: effect.text };

  const options = answerOptions(spec, loc);
  // Several answers to a multiple question are typed as numbers: number its buttons too.
  const numbered = spec.kind === 'multiple';
  const buttons =
    caps.buttons && options && options.length > 0
      ? options.map((o, i) => ({
          label: cut(numbered ? `${i + 1}. ${o.label}` : o.label, caps.maxChoiceLabel),
          payload: { nodeId: effect.nodeId, choiceId: o.id },
        }))
      : undefined;

  if (effect.role === 'retry') {
    // "Je n'ai pas compris." + what is expected; with buttons, point at them instead.
    const expected = buttons
      ? loc.system(spec.kind === 'multiple' ? 'buttons.multiple' : 'buttons.tap')
      : (effect.hint ?? answerHint(spec, loc));
    return withButtons(`${effect.text} ${expected}`, buttons);
  }

  const lines = [effect.text];
  if (effect.hint) lines.push(effect.hint);
  const legend = scaleLegend(spec, loc);
  if (legend) lines.push(legend);
  if (buttons) {
    if (spec.kind === 'multiple') lines.push(loc.system('buttons.multiple'));
    return withButtons(lines.join('\n'), buttons);
  }
  if ((spec.kind === 'single' || spec.kind === 'multiple') && spec.choices) {
    spec.choices.forEach((c, i) => {
      lines.push(`${i + 1}. ${c.label}`);
    });
  }
  const footer = smsFooter(spec, loc);
  if (footer) lines.push(footer);
  return { text: lines.join('\n') };
}

function withButtons(text: string, buttons: RenderedButton[] | undefined): Rendered {
  return buttons ? { text, buttons } : { text };
}
