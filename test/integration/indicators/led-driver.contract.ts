/**
 * One contract for every LedDriver (sysfs, gpiod, virtual). Each implementation's test file calls
 * `ledDriverContract` with a factory that builds the driver over fake hardware and a `read` that
 * looks at that hardware (never at the driver's own bookkeeping).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { INDICATORS, LOOKS, type Looks } from '../../../src/core/indicators.js';
import { OutpostError } from '../../../src/core/errors.js';
import { lookFromModes, type LedDriver, type LedMap, type LedMode } from '../../../src/indicators/driver.js';
import { IndicatorPanel } from '../../../src/indicators/panel.js';

export interface LedDriverSubject {
  driver: LedDriver;
  /** The LEDs the fake hardware has: at least ten (five indicators × green/red). */
  leds: readonly string[];
  /** A name the hardware does not have. */
  missing: string;
  /** The mode the hardware shows for one LED. */
  read(led: string): Promise<LedMode>;
  cleanup?(): Promise<void>;
}

const MODES: LedMode[] = ['off', 'on', 'flash'];

export function ledDriverContract(name: string, make: () => Promise<LedDriverSubject>): void {
  describe(`LedDriver contract: ${name}`, () => {
    let subject: LedDriverSubject | undefined;
    const open = async (): Promise<LedDriverSubject> => (subject = await make());
    afterEach(async () => {
      await subject?.driver.close().catch(() => undefined);
      await subject?.cleanup?.();
      subject = undefined;
    });

    const expectMissing = (e: unknown, led: string): boolean => {
      assert.ok(e instanceof OutpostError, String(e));
      assert.equal(e.code, 'CONFIG_INVALID');
      assert.ok(e.message.includes(led), e.message);
      assert.ok(e.hint.length > 0);
      return true;
    };

    it('check() accepts the LEDs that exist and names the one that does not', async () => {
      const s = await open();
      await s.driver.check(s.leds);
      await assert.rejects(s.driver.check([s.leds[0]!, s.missing]), (e) => expectMissing(e, s.missing));
    });

    it('each mode reads back, from every other mode', async () => {
      const s = await open();
      const led = s.leds[0]!;
      for (const from of MODES)
        for (const to of MODES) {
          await s.driver.set(led, from);
          assert.equal(await s.read(led), from, `${from}`);
          await s.driver.set(led, to);
          assert.equal(await s.read(led), to, `${from} → ${to}`);
        }
    });

    it('setting the same mode twice is harmless', async () => {
      const s = await open();
      for (const mode of MODES) {
        await s.driver.set(s.leds[1]!, mode);
        await s.driver.set(s.leds[1]!, mode);
        assert.equal(await s.read(s.leds[1]!), mode);
      }
    });

    it('LEDs are independent', async () => {
      const s = await open();
      const [x, y, z] = [s.leds[0]!, s.leds[1]!, s.leds[2]!];
      await s.driver.set(x, 'on');
      await s.driver.set(y, 'flash');
      await s.driver.set(z, 'off');
      assert.deepEqual([await s.read(x), await s.read(y), await s.read(z)], ['on', 'flash', 'off']);
      await s.driver.set(y, 'off');
      assert.deepEqual([await s.read(x), await s.read(y), await s.read(z)], ['on', 'off', 'off']);
    });

    it('set() on a missing LED rejects naming it, and other LEDs keep working', async () => {
      const s = await open();
      await assert.rejects(s.driver.set(s.missing, 'on'), (e) => expectMissing(e, s.missing));
      await s.driver.set(s.leds[0]!, 'on');
      assert.equal(await s.read(s.leds[0]!), 'on');
    });

    it('close() turns every LED it touched off (flashing ones too); later sets are ignored', async () => {
      const s = await open();
      await s.driver.set(s.leds[0]!, 'on');
      await s.driver.set(s.leds[1]!, 'flash');
      await s.driver.close();
      assert.equal(await s.read(s.leds[0]!), 'off');
      assert.equal(await s.read(s.leds[1]!), 'off');
      await s.driver.set(s.leds[0]!, 'on');
      assert.equal(await s.read(s.leds[0]!), 'off');
      await s.driver.close(); // twice is fine
    });

    it('a panel shows every look on every indicator through this driver', async () => {
      const s = await open();
      const map = Object.fromEntries(
        INDICATORS.map((ind, i) => [ind, { green: s.leds[2 * i]!, red: s.leds[2 * i + 1]! }]),
      ) as LedMap;
      const panel = new IndicatorPanel(s.driver, map);
      await s.driver.check(panel.ledNames());
      // Rotate the looks so each indicator goes through each look, from each previous look.
      for (let round = 0; round < LOOKS.length * 2; round++) {
        const looks = Object.fromEntries(
          INDICATORS.map((ind, i) => [ind, LOOKS[(round * (i + 1) + i) % LOOKS.length]!]),
        ) as Looks;
        await panel.apply(looks);
        for (const ind of INDICATORS) {
          const shown = lookFromModes(await s.read(map[ind].green), await s.read(map[ind].red));
          assert.equal(shown, looks[ind], `round ${round} ${ind}`);
        }
      }
      await panel.close();
      for (const led of panel.ledNames()) assert.equal(await s.read(led), 'off');
    });
  });
}
