// The indicators as a CSV that opens as is in French Excel (UTF-8 with BOM, ";",
// decimal commas): one line per group, "*" for "all" in a dimension.
import { toCsv } from '../participation/csv.js';
import type { IndicatorReport } from './indicators.js';

const pct = (r: number | null) => (r === null ? null : Math.round(r * 1000) / 10);

export function indicatorsToCsv(report: IndicatorReport): string {
  const channels = [...new Set(report.groups.flatMap((g) => Object.keys(g.messages)))].sort();
  const header = [
    'territoire',
    'mois',
    "tranche d'âge",
    'invités',
    'confirmés',
    'ne peuvent pas venir',
    'présents',
    'absents',
    'excusés',
    'taux de participation (%)',
    'objectifs',
    'absentéisme après invitation (%)',
    'absentéisme après convocation (%)',
    'orientation → 1re RIO : personnes',
    'orientation → 1re RIO : jours (moyenne)',
    'orientation → 1re RIO : jours (médiane)',
    ...channels.flatMap((c) =>
      c === 'sms'
        ? ['SMS envoyés', 'segments SMS', 'SMS en échec']
        : [`${c} envoyés`, `${c} en échec`],
    ),
    "échecs d'envoi",
    'orientés',
    'informés droits et devoirs dans le délai',
    'informés en retard',
    'en attente',
    'délai dépassé',
    'informés dans le délai (%)',
  ];
  const rows = report.groups.map((g) => [
    g.territory,
    g.month,
    g.ageBand,
    g.invited,
    g.confirmed,
    g.declined,
    g.present,
    g.absent,
    g.excused,
    pct(g.participationRate),
    g.targets.map((t) => `${t.name} : ${t.met ? 'atteint' : 'non atteint'}`).join(' ; '),
    pct(g.noShow.invitation.rate),
    pct(g.noShow.convocation.rate),
    g.orientationToFirstRio.people,
    g.orientationToFirstRio.meanDays,
    g.orientationToFirstRio.medianDays,
    ...channels.flatMap((c) => {
      const m = g.messages[c] ?? { sent: 0, failed: 0, segments: 0 };
      return c === 'sms' ? [m.sent, m.segments, m.failed] : [m.sent, m.failed];
    }),
    g.deliveryFailures,
    g.rights.oriented,
    g.rights.informedInTime,
    g.rights.informedLate,
    g.rights.pending,
    g.rights.overdue,
    pct(g.rights.rate),
  ]);
  return toCsv([header, ...rows]);
}
