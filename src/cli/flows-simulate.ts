/**
 * npm run flows:simulate -- flows/<file>.yaml [--lang en|fr|fr-x-falc] [--channel sms|telegram]
 *
 * Runs a flow in the terminal with the pure engine: each message is printed as the channel
 * would render it (SMS: numbered options and the number of SMS; Telegram: buttons [1] [2]…),
 * each line typed is an answer, and the named results are printed as JSON at the end.
 * Commands: /timeout (fire the current wait's timeout), /expire, /tap <node>:<choice>
 * (a button payload, e.g. an old one), /results, /quit. Works with piped stdin:
 *   printf '1\noui\n' | npm run flows:simulate -- flows/avis-guichet.yaml
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { checkFlowFiles } from '../conversations/flow-files.js';
import { prepareSms } from '../domain/sms/index.js';
import {
  type Effect,
  type FlowDefinition,
  type FlowEvent,
  formatProblem,
  type RenderCaps,
  type RenderedButton,
  type RunState,
  render,
  step,
} from '../engine/index.js';
import { createI18n, createLocalizer, DEFAULT_LOCALES_DIR, type Localizer } from '../i18n/index.js';

const USAGE =
  'usage: npm run flows:simulate -- flows/<file>.yaml [--lang fr|en|fr-x-falc] [--channel sms|telegram]';

interface Session {
  def: FlowDefinition;
  loc: Localizer;
  channel: 'sms' | 'telegram';
  caps: RenderCaps;
  timeZone: string;
  now: Date;
  state: RunState | undefined;
  buttons: RenderedButton[];
  timeout: { nodeId: string; step: number; at: Date } | undefined;
}

function humanDelay(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes % (24 * 60) === 0) return `${minutes / (24 * 60)}d`;
  if (minutes % 60 === 0) return `${minutes / 60}h`;
  return `${minutes}m`;
}

/** "bot> " before a message's first line, aligned continuation lines. */
function indent(text: string, prefix: string): string {
  const pad = ' '.repeat(prefix.length);
  return text
    .split('\n')
    .map((l, i) => `${i === 0 ? prefix : pad}${l}`)
    .join('\n');
}

function show(s: Session, effects: Effect[]): void {
  for (const e of effects) {
    switch (e.type) {
      case 'send': {
        const r = render(e, s.caps, s.loc);
        console.log(indent(r.text, 'bot> '));
        if (r.buttons) {
          console.log(r.buttons.map((b, i) => `     [${i + 1}] ${b.label}`).join('\n'));
        }
        if (e.role === 'ask' || e.role === 'retry') s.buttons = r.buttons ?? [];
        if (s.channel === 'sms') {
          const sms = prepareSms(r.text, 'transliterate');
          console.log(`     (${sms.segments.parts} SMS)`);
        }
        break;
      }
      case 'save':
        console.log(`  · saved ${e.name} = ${JSON.stringify(e.value)}`);
        break;
      case 'schedule':
        if (e.kind === 'flow.timeout' && e.nodeId !== undefined) {
          s.timeout = { nodeId: e.nodeId, step: e.step, at: e.at };
          console.log(
            `  · no-response timeout for "${e.nodeId}" in ${humanDelay(e.at.getTime() - s.now.getTime())}`,
          );
        } else {
          console.log(`  · run expires in ${humanDelay(e.at.getTime() - s.now.getTime())}`);
        }
        break;
      case 'cancelFires':
        s.timeout = undefined;
        break;
      case 'notify':
        console.log(`  · notify ${e.target} (node "${e.nodeId}")`);
        break;
      case 'offerHuman':
        console.log('  · offer a human contact (rendered by the conversation layer)');
        break;
      case 'end':
        console.log(`  · run ended: ${e.status}`);
        break;
    }
  }
}

function apply(s: Session, event: FlowEvent): void {
  const { state, effects } = step(s.def, s.state, event, s.now, {
    localizer: s.loc,
    timeZone: s.timeZone,
  });
  s.state = state;
  show(s, effects);
}

function eventFor(s: Session, line: string): FlowEvent | 'quit' | 'skip' {
  const input = line.trim();
  if (input === '/quit') return 'quit';
  if (input === '/results') {
    console.log(JSON.stringify(s.state?.results ?? {}, null, 2));
    return 'skip';
  }
  if (input === '/expire') return { type: 'expire' };
  if (input === '/timeout') {
    const t = s.timeout;
    if (!t) {
      console.log('  (no timeout is waiting)');
      return 'skip';
    }
    s.now = t.at;
    return { type: 'timeout', nodeId: t.nodeId, step: t.step };
  }
  const tap = /^\/tap\s+([^:\s]+):(\S+)$/.exec(input);
  if (tap?.[1] && tap[2]) return { type: 'answer', payload: { nodeId: tap[1], choiceId: tap[2] } };
  if (input.startsWith('/')) {
    console.log('  commands: /timeout, /expire, /tap <node>:<choice>, /results, /quit');
    return 'skip';
  }
  s.now = new Date(s.now.getTime() + 60_000); // a minute per answer
  const pressed = /^\d+$/.test(input) ? s.buttons[Number(input) - 1] : undefined;
  if (s.channel === 'telegram' && pressed) return { type: 'answer', payload: pressed.payload };
  return { type: 'answer', text: line };
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      lang: { type: 'string', default: 'fr' },
      channel: { type: 'string', default: 'sms' },
      locales: { type: 'string', default: DEFAULT_LOCALES_DIR },
      tz: { type: 'string', default: 'Europe/Paris' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const file = positionals[0];
  if (values.help || !file) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (values.channel !== 'sms' && values.channel !== 'telegram') {
    console.error(`unknown channel "${values.channel}"\n${USAGE}`);
    return 2;
  }
  const i18n = await createI18n(values.locales);
  const [checked] = await checkFlowFiles([file], { i18n });
  for (const p of checked?.problems ?? []) console.log(formatProblem(p));
  const def = checked?.definition;
  if (!def) return 1;

  const loc = createLocalizer(i18n, values.lang);
  const s: Session = {
    def,
    loc,
    channel: values.channel,
    caps:
      values.channel === 'sms'
        ? { buttons: false, maxChoiceLabel: Number.MAX_SAFE_INTEGER }
        : { buttons: true, maxChoiceLabel: 32 },
    timeZone: values.tz,
    now: new Date(),
    state: undefined,
    buttons: [],
    timeout: undefined,
  };
  console.log(`── ${def.id} v${def.version} · ${values.channel} · ${loc.lang} ──`);
  apply(s, { type: 'start' });

  const interactive = process.stdin.isTTY === true;
  const rl = createInterface({ input: process.stdin, terminal: interactive });
  if (interactive && s.state?.status === 'active') rl.setPrompt('you> ');
  if (interactive) rl.prompt();
  for await (const line of rl) {
    if (s.state?.status !== 'active') break;
    if (!interactive) console.log(`you> ${line}`);
    const event = eventFor(s, line);
    if (event === 'quit') break;
    if (event !== 'skip') apply(s, event);
    if (s.state?.status !== 'active') break;
    if (interactive) rl.prompt();
  }
  rl.close();

  const state = s.state;
  if (state?.status === 'active') console.log(`(stopped while waiting at "${state.nodeId}")`);
  console.log(`status: ${state?.status}`);
  console.log('results:');
  console.log(JSON.stringify(state?.results ?? {}, null, 2));
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
