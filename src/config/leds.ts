import type { Indicator } from '../core/indicators.js';

/** The green and red LED of each indicator (the indicators' own `LedMap`, stated here for the config). */
type LedMap = Record<Indicator, { green: string; red: string }>;

/**
 * LED names for the sysfs (and virtual) drivers: the `label=` of each `gpio-led` overlay line in
 * the README's Hardware section.
 */
export const DEFAULT_SYSFS_LEDS: Readonly<LedMap> = Object.freeze({
  CARD: { green: 'outpost-card-green', red: 'outpost-card-red' },
  DRIVE_A: { green: 'outpost-drive-a-green', red: 'outpost-drive-a-red' },
  DRIVE_B: { green: 'outpost-drive-b-green', red: 'outpost-drive-b-red' },
  BACKUP: { green: 'outpost-backup-green', red: 'outpost-backup-red' },
  UPLINK: { green: 'outpost-uplink-green', red: 'outpost-uplink-red' },
});

/** GPIO (BCM) numbers for the gpiod driver: the README's wiring table. */
export const DEFAULT_GPIO_LEDS: Readonly<LedMap> = Object.freeze({
  CARD: { green: '17', red: '27' },
  DRIVE_A: { green: '22', red: '23' },
  DRIVE_B: { green: '24', red: '25' },
  BACKUP: { green: '5', red: '6' },
  UPLINK: { green: '12', red: '13' },
});
