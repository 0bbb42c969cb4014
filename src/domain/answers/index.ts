export { type ChoiceOption, parseChoice, parseChoices } from './choices.js';
export { parseDate } from './dates-fr.js';
export { type Keyword, parseKeyword } from './keywords.js';
export { type Lang, normalizeAnswer } from './normalize.js';
export { parseNumber } from './numbers-fr.js';
export { parseScale } from './scale.js';
export { parseYesNo } from './yes-no.js';
