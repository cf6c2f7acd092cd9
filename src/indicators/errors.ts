import { OutpostError, errnoCode } from '../core/errors.js';

/**
 * The config names an LED the hardware does not have. CONFIG_INVALID (exit 2) because the fix is
 * in config.txt or the Outpost config, with a hint that says exactly what to add.
 */
export function ledMissing(led: string, where: string, hint: string): OutpostError {
  return new OutpostError('CONFIG_INVALID', `LED "${led}" not found (${where})`, {
    hint,
    details: { led, where },
  });
}

/** A write to an LED failed: usually permissions when the station does not run as root. */
export function ledWriteFailed(led: string, path: string, e: unknown): OutpostError {
  const code = errnoCode(e);
  const hint =
    code === 'EACCES' || code === 'EPERM'
      ? 'The station user may not write the LED files: add the udev rule from the README (Hardware) or run the station as root.'
      : 'Check the LED wiring and the indicators section of the config.';
  return new OutpostError('CONFIG_INVALID', `cannot drive LED "${led}" (${path}): ${code ?? String(e)}`, {
    hint,
    details: { led, path },
    cause: e,
  });
}

/** The dtoverlay line a missing sysfs LED needs. */
export function overlayHint(led: string): string {
  return (
    `Add \`dtoverlay=gpio-led,gpio=<N>,label=${led}\` to /boot/firmware/config.txt and reboot ` +
    `(see the README's Hardware section), or fix the LED name under indicators.leds in the config.`
  );
}
