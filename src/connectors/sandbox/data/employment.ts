/**
 * IMSS employment records for a CURP: personal data consistent with the CURP (birth date, sex,
 * and a name whose letters match), an NSS with its check digit, and a working life of successive
 * jobs with hires, yearly raises and resignations. A username that is not a CURP stands for a
 * worker whose CURP is derived from it (`workerCurp`).
 *
 * The career is a fixed chain of jobs seeded by the CURP, each job's dates following from the
 * previous one's; `now` only decides how much of it has happened. So as time passes the current
 * job gains weeks and raises, eventually ends, and a new one begins, while past jobs never
 * change. Nobody is hired after 63 and every job ends by 65.
 */
import type { ExtractRequest, ExtractedRecord, InstitutionDefinition } from '../../connector.js';
import { addMonths, dayNumber, dayOf, isoDate, priceIndex, ymd } from './calendar.js';
import { MX_STATES, curp as curpOf, nss, officialCase } from './documents.js';
import { companyName, email, mexicanPersonMatching, person, type Person } from './people.js';
import { pdfBase64, pdfDate } from './pdf.js';
import { rng, rootSeed, type Seed } from './random.js';

interface SalaryEvent {
  event: 'HIRED' | 'SALARY_MODIFICATION' | 'DISMISSED_RESIGNED' | 'SICK_LEAVE' | 'ABSENCE';
  day: number;
  /** Daily base salary, cents. */
  salary: number;
}

interface Job {
  employer: string;
  employerId: string;
  state: string;
  start: number;
  /** Last day worked. */
  end: number;
  events: SalaryEvent[];
}

interface Worker {
  seed: Seed;
  curp: string;
  person: Person;
  birthDay: number;
  nss: string;
  email: string;
  jobs: Job[];
}

/** Parses a CURP's birth date (century from the 17th character: digit 19xx, letter 20xx). */
function curpBirth(curp: string): number | undefined {
  const m = /^[A-Z]{4}(\d{2})(\d{2})(\d{2})[HMX][A-Z]{5}([A-Z0-9])\d$/.exec(curp);
  if (!m) return undefined;
  const year = (/\d/.test(m[4]) ? 1900 : 2000) + Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const n = dayNumber(year, month, day);
  return ymd(n).day === day ? n : undefined;
}

/** A CURP as RENAPO writes it: name letters, birth date, sex, state, 3 consonants, homoclave, check digit. */
const CURP_SHAPE = /^[A-Z]{4}\d{6}[HMX][A-Z]{5}[A-Z0-9]\d$/;

/**
 * The CURP a sandbox login stands for. The sandbox takes any username: one shaped like a CURP
 * (any case, accents ignored) is that worker's CURP; any other (`user_valid`, `mfa_user`…) stands
 * for a worker whose CURP is derived from it, with a valid check digit, always the same one for
 * the same username (ignoring case and surrounding spaces).
 */
export function workerCurp(institution: InstitutionDefinition, username: string): string {
  const typed = officialCase(username.trim());
  if (CURP_SHAPE.test(typed)) return typed;
  const r = rng(rootSeed('employment-curp', institution.name, username.trim().toLowerCase()), 1);
  const sex = r.chance(0.5) ? 'H' : 'M';
  const birth = { year: r.int(1965, 2002), month: r.int(1, 12), day: r.int(1, 28) };
  return curpOf(person(r, 'MX', sex), birth, sex, r.pick(MX_STATES).code, r);
}

function planWorker(request: ExtractRequest): Worker {
  const curp = workerCurp(request.institution, request.credentials.username ?? '');
  const seed = rootSeed('employment', request.institution.name, curp.toLowerCase());
  const r = rng(seed, 1);
  // workerCurp always gives a CURP-shaped value; its sex may still be X (non-binary).
  const sexChar = curp[10];
  const sex = sexChar === 'H' || sexChar === 'M' ? sexChar : r.chance(0.5) ? 'H' : 'M';
  const person = mexicanPersonMatching(r, curp.slice(0, 4), sex, curp.slice(13, 16));
  const birthDay = curpBirth(curp) ?? dayNumber(r.int(1965, 2000), r.int(1, 12), r.int(1, 28));
  const birthYear = ymd(birthDay).year;
  const careerStart = Math.max(addMonths(birthDay, 12 * r.int(18, 23)) + r.int(0, 300), dayNumber(1997, 7, 1));
  return {
    seed,
    curp,
    person,
    birthDay,
    nss: nss(r, ymd(careerStart).year, birthYear),
    email: email(r, 'MX', person),
    jobs: career(seed, birthDay, careerStart),
  };
}

/** The whole working life (it does not depend on `now`; callers cut it at today). */
function career(seed: Seed, birthDay: number, careerStart: number): Job[] {
  const jobs: Job[] = [];
  const lastHire = addMonths(birthDay, 63 * 12);
  const retirement = addMonths(birthDay, 65 * 12);
  let start = careerStart;
  // Salary in 2024 pesos a day; grows with experience, and with prices through priceIndex.
  let level = 0;
  for (let i = 0; start <= lastHire && i < 40; i++) {
    const r = rng(seed, 2, i);
    const years = i === 0 ? r.float(0.5, 3) : r.float(1, 9);
    const end = Math.min(start + Math.round(years * 365), retirement);
    level = i === 0 ? r.float(280, 650) : level * r.float(1.05, 1.35);
    const stateName = r.pick(MX_STATES).name;
    const events: SalaryEvent[] = [];
    let salary = Math.round(level * priceIndex(start) * 100);
    events.push({ event: 'HIRED', day: start, salary });
    // Raises on each anniversary; an occasional sick leave.
    for (let k = 1; ; k++) {
      const day = addMonths(start, 12 * k);
      if (day >= end) break;
      if (r.chance(0.12)) events.push({ event: 'SICK_LEAVE', day: day - r.int(20, 120), salary });
      salary = Math.round(salary * r.float(1.03, 1.12));
      events.push({ event: 'SALARY_MODIFICATION', day, salary });
    }
    events.push({ event: 'DISMISSED_RESIGNED', day: end, salary });
    events.sort((a, b) => a.day - b.day);
    jobs.push({
      employer: companyName(r, 'MX'),
      employerId: `${r.chars(1, 'ABCDEFGHJKLMNPRSTUVWXYZ')}${r.digits(2)}${r.digits(5)}${r.digits(2)}${r.digits(1)}`,
      state: stateName,
      start,
      end,
      events,
    });
    // Straight to the next job, or after a few months looking.
    start = end + (r.chance(0.4) ? 1 : r.int(15, 240));
  }
  return jobs;
}

const weeksBetween = (from: number, to: number) => Math.max(0, Math.floor((to - from + 1) / 7));
const cents = (n: number) => Math.round(n) / 100;

export function extractEmploymentRecords(request: ExtractRequest): ExtractedRecord[] {
  const w = planWorker(request);
  const today = dayOf(request.now);
  const collectedAt = request.now.toISOString();
  const jobs = w.jobs.filter((j) => j.start <= today);
  const current = jobs.find((j) => j.end >= today);
  const last = jobs[jobs.length - 1];

  const records = jobs.map((job) => {
    const ongoing = job.end >= today;
    const events = job.events.filter((e) => e.day <= today && !(ongoing && e.event === 'DISMISSED_RESIGNED'));
    const salaryEvents = events.filter((e) => e.event !== 'SICK_LEAVE' && e.event !== 'ABSENCE');
    const latest = salaryEvents[salaryEvents.length - 1].salary;
    return {
      collected_at: collectedAt,
      employer: job.employer,
      employer_id: job.employerId,
      start_date: isoDate(job.start),
      // The schema has no null here: an ongoing job simply has no end date.
      ...(ongoing ? {} : { end_date: isoDate(job.end) }),
      weeks_employed: weeksBetween(job.start, ongoing ? today : job.end),
      state: job.state,
      most_recent_base_salary: cents(latest),
      monthly_salary: cents(latest * 30.4),
      currency: 'MXN',
      employment_status_updates: events.map((e) => ({ event: e.event, base_salary: cents(e.salary), update_date: isoDate(e.day) })),
    };
  });
  // Most recent job first, as IMSS lists them.
  records.reverse();

  const weeks = records.reduce((s, j) => s + j.weeks_employed, 0);
  // IMSS keeps health coverage for 8 weeks after the last job ends.
  const validUntil = current || !last ? null : last.end + 56;
  const { year, month, day } = ymd(today);
  const reportName = `ReporteSemanasCotizadas_${String(year % 100).padStart(2, '0')}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}`;
  const fullName = `${w.person.first} ${w.person.paternal} ${w.person.maternal}`;

  return [
    {
      internal_identification: w.curp,
      report_date: isoDate(today),
      personal_data: {
        official_name: fullName,
        first_name: w.person.first,
        last_name: `${w.person.paternal} ${w.person.maternal}`,
        email: w.email,
        birth_date: isoDate(w.birthDay),
        entitlements: {
          entitled_to_health_insurance: current !== undefined || (validUntil !== null && today <= validUntil),
          entitled_to_company_benefits: current !== undefined,
          valid_until: validUntil === null ? null : isoDate(validUntil),
          status: current ? 'EMPLOYED' : 'UNEMPLOYED',
        },
        document_ids: [
          { document_type: 'CURP', document_number: w.curp },
          { document_type: 'NSS', document_number: w.nss },
        ],
      },
      social_security_summary: { weeks_redeemed: 0, weeks_reinstated: 0, weeks_contributed: weeks },
      employment_records: records,
      files: request.attachPdf
        ? [
            {
              type: reportName,
              value: pdfBase64({
                title: 'Reporte de Semanas Cotizadas en el IMSS',
                lines: [
                  `Fecha de emisión: ${isoDate(today)}`,
                  `Nombre: ${officialCase(fullName)}`,
                  `CURP: ${w.curp}`,
                  `NSS: ${w.nss}`,
                  '',
                  `Semanas cotizadas: ${weeks}`,
                  'Semanas descontadas: 0',
                  'Semanas reintegradas: 0',
                  '',
                  ...records.flatMap((j) => [
                    `${j.employer} (${j.employer_id}) - ${j.state}`,
                    `  Alta: ${j.start_date}   Baja: ${'end_date' in j ? j.end_date : 'Vigente'}   Salario base: $${j.most_recent_base_salary.toFixed(2)}`,
                  ]),
                ],
                creationDate: pdfDate(`${isoDate(today)}T12:00:00`),
              }),
            },
          ]
        : [],
    },
  ];
}
