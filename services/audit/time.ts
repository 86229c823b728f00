const rfc3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

const leap = (year: number) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
const daysIn = (year: number, month: number) =>
  month === 2 ? (leap(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;

/**
 * Whether `text` is an RFC 3339 date-time that names a real instant (no 30 February, no
 * hour 24), so PostgreSQL takes it as a timestamptz without an error. Up to nanoseconds
 * are accepted; PostgreSQL keeps microseconds.
 */
export function isRfc3339(text: string): boolean {
  const m = rfc3339.exec(text);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const offsetHours = Number(m[9] ?? 0);
  const offsetMinutes = Number(m[10] ?? 0);
  return (
    year >= 1 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysIn(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    // 60 is a leap second, which RFC 3339 allows and PostgreSQL carries into the next minute.
    second <= 60 &&
    offsetHours <= 23 &&
    offsetMinutes <= 59
  );
}
