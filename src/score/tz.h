/*
 * tz.h -- a country's typical UTC offset, for "does this account keep its
 * claimed country's hours?".
 *
 * One offset per country: the zone most of its people live in, standard
 * time, rounded to the hour (documented approximation: daylight saving and
 * multi-zone countries move it by 1-3 hours, which the night window below
 * tolerates).  Unknown codes return 0 with *known = 0.
 */
#ifndef HU_SCORE_TZ_H
#define HU_SCORE_TZ_H

/* Offset in hours from UTC of ISO 3166-1 alpha-2 `cc` (2 bytes, any case). */
int hu_tz_offset_hours(const char cc[2], int *known);

#endif
