// What a run row keeps between answers: the results branches test, and every answer only
// when a node passes them on to the facilitators (an avis). A notify to the référent passes
// no answer, so a long questionnaire that ends with one keeps a row that does not grow.
import { describe, expect, it } from 'vitest';
import { retainedResults } from '../../../src/engine/graph.js';
import { flow } from './helpers.js';

const asks = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `q${i}`, ask: 'text', text: 'Q ?', result: `r${i}` }));

describe('retainedResults', () => {
  it('keeps the results branches test, not the others, with a notify to the référent', () => {
    const def = flow({
      kind: 'consultation',
      nodes: [
        ...asks(50),
        { id: 'call', ask: 'yesno', text: 'Rappel ?', result: 'callback' },
        { id: 'b', branch: 'callback', cases: [{ when: ['yes'], next: 'yes' }], default: 'end' },
        { id: 'yes', say: 'Noté.', notify: 'referent' },
        { id: 'end', end: 'Merci.' },
      ],
    });
    expect([...retainedResults(def)]).toEqual(['callback']);
  });

  it('keeps every answer when the facilitators receive them', () => {
    const def = flow({
      nodes: [...asks(2), { id: 'end', end: 'Merci.', notify: 'facilitators' }],
    });
    expect([...retainedResults(def)].sort()).toEqual(['r0', 'r1']);
  });
});
