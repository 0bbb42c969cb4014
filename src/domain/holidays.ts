// French public holidays (jours fériés), computed for any year: the eleven national ones
// (Code du travail L3133-1, with Easter Monday, Ascension and Whit Monday from the date of
// Easter), plus the local ones an organisation's region adds: Good Friday and 26 December
// in Alsace-Moselle (L3134-13), and the commemoration of the abolition of slavery in each
// overseas region (loi 83-550 and its decrees).

/** A calendar day, as "YYYY-MM-DD". */
export type Day = string;

export type HolidayRegion =
  | 'alsace-moselle'
  | 'guadeloupe'
  | 'martinique'
  | 'guyane'
  | 'reunion'
  | 'mayotte'
  | 'saint-martin'
  | 'saint-barthelemy';

// Names and INSEE codes an organisation may use for its region.
const ALIASES: Record<string, HolidayRegion> = {
  'alsace-moselle': 'alsace-moselle',
  alsace: 'alsace-moselle',
  moselle: 'alsace-moselle',
  '57': 'alsace-moselle',
  '67': 'alsace-moselle',
  '68': 'alsace-moselle',
  guadeloupe: 'guadeloupe',
  '971': 'guadeloupe',
  martinique: 'martinique',
  '972': 'martinique',
  guyane: 'guyane',
  '973': 'guyane',
  reunion: 'reunion',
  'la-reunion': 'reunion',
  '974': 'reunion',
  mayotte: 'mayotte',
  '976': 'mayotte',
  'saint-martin': 'saint-martin',
  '978': 'saint-martin',
  'saint-barthelemy': 'saint-barthelemy',
  '977': 'saint-barthelemy',
};

/** The region named by an organisation's holidayRegion, or undefined for none/unknown. */
export function holidayRegion(name: string | null | undefined): HolidayRegion | undefined {
  if (!name) return undefined;
  const key = name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-');
  return ALIASES[key];
}

export function isHolidayRegion(name: string | null | undefined): boolean {
  return !name || holidayRegion(name) !== undefined;
}

// Abolition of slavery, by region (month, day).
const ABOLITION: Partial<Record<HolidayRegion, [number, number]>> = {
  mayotte: [4, 27],
  martinique: [5, 22],
  guadeloupe: [5, 27],
  'saint-martin': [5, 28],
  guyane: [6, 10],
  'saint-barthelemy': [10, 9],
  reunion: [12, 20],
};

/** Easter Sunday (Gregorian), by the anonymous algorithm (Meeus/Jones/Butcher). */
export function easterSunday(year: number): { month: number; day: number } {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return { month, day };
}

function day(year: number, month: number, date: number): Day {
  // Date.UTC normalises overflow (Easter + 50 days lands in the right month).
  return new Date(Date.UTC(year, month - 1, date)).toISOString().slice(0, 10);
}

/** Every public holiday of a year, by day, with its name. */
export function publicHolidays(year: number, region?: string | null): Map<Day, string> {
  const easter = easterSunday(year);
  const fromEaster = (offset: number) => day(year, easter.month, easter.day + offset);
  const list: [Day, string][] = [
    [day(year, 1, 1), "Jour de l'an"],
    [fromEaster(1), 'Lundi de Pâques'],
    [day(year, 5, 1), 'Fête du Travail'],
    [day(year, 5, 8), 'Victoire 1945'],
    [fromEaster(39), 'Ascension'],
    [fromEaster(50), 'Lundi de Pentecôte'],
    [day(year, 7, 14), 'Fête nationale'],
    [day(year, 8, 15), 'Assomption'],
    [day(year, 11, 1), 'Toussaint'],
    [day(year, 11, 11), 'Armistice 1918'],
    [day(year, 12, 25), 'Noël'],
  ];
  const local = holidayRegion(region);
  if (local === 'alsace-moselle') {
    list.push([fromEaster(-2), 'Vendredi saint'], [day(year, 12, 26), 'Saint-Étienne']);
  }
  const abolition = local ? ABOLITION[local] : undefined;
  if (abolition) list.push([day(year, abolition[0], abolition[1]), "Abolition de l'esclavage"]);
  return new Map(list.sort((a, b) => a[0].localeCompare(b[0])));
}

const cache = new Map<string, Map<Day, string>>();

/** The holiday's name when `d` ("YYYY-MM-DD") is a public holiday in the region. */
export function holidayOn(d: Day, region?: string | null): string | undefined {
  const key = `${d.slice(0, 4)}:${holidayRegion(region) ?? ''}`;
  let year = cache.get(key);
  if (!year) {
    year = publicHolidays(Number(d.slice(0, 4)), region);
    cache.set(key, year);
  }
  return year.get(d);
}
