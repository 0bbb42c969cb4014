/** Shared helpers for the engine tests (not a test file). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FlowDefinition, flowSchema } from '../../../src/engine/schema.js';
import { step } from '../../../src/engine/step.js';
import type { Effect, FlowEvent, RunState, SendEffect } from '../../../src/engine/types.js';
import { createI18n, createLocalizer, type i18n, type Localizer } from '../../../src/i18n/index.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const LOCALES = path.join(ROOT, 'locales');
export const NOW = new Date('2025-03-10T09:00:00.000Z');

let shared: Promise<i18n> | undefined;

/** The real locales (engine.json, flows.json); tests add their own flow translations to a fresh instance. */
export function realI18n(): Promise<i18n> {
  shared ??= createI18n(LOCALES);
  return shared;
}

export function freshI18n(): Promise<i18n> {
  return createI18n(LOCALES);
}

/** A schema-valid definition from a partial one (id t, version 1, kind avis by default). */
export function flow(partial: Record<string, unknown>): FlowDefinition {
  return flowSchema.parse({ id: 't', version: 1, kind: 'avis', title: 'Test', ...partial });
}

export function later(minutes: number, from: Date = NOW): Date {
  return new Date(from.getTime() + minutes * 60_000);
}

/** Drives one run: keeps the state, returns each step's effects. */
export class Runner {
  state: RunState | undefined;
  now: Date = NOW;
  readonly loc: Localizer;

  constructor(
    readonly def: FlowDefinition,
    i18nInstance: i18n,
    lang = 'fr',
  ) {
    this.loc = createLocalizer(i18nInstance, lang);
  }

  send(event: FlowEvent): Effect[] {
    const r = step(this.def, this.state, event, this.now, { localizer: this.loc });
    this.state = r.state;
    return r.effects;
  }

  start(): Effect[] {
    return this.send({ type: 'start' });
  }

  answer(text: string): Effect[] {
    return this.send({ type: 'answer', text });
  }

  tap(nodeId: string, choiceId: string): Effect[] {
    return this.send({ type: 'answer', payload: { nodeId, choiceId } });
  }
}

export function sends(effects: Effect[]): SendEffect[] {
  return effects.filter((e): e is SendEffect => e.type === 'send');
}

export function types(effects: Effect[]): string[] {
  return effects.map((e) => (e.type === 'send' ? `send:${e.role}` : e.type));
}
