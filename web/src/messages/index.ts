/**
 * The message catalogue: one file per area of the app, each with an English (`en`, the source of
 * the keys) and a Spanish (`es`, typed to have every key) half. To add a language, add its half to
 * every area file and to `CATALOGUES` in i18n.ts. Area files keep parallel work out of each other's
 * way; keys are prefixed with their area so they never clash.
 */
import * as albums from './albums';
import * as app from './app';
import * as clockFix from './clock-fix';
import * as compare from './compare';
import * as edit from './edit';
import * as events from './events';
import * as exportMessages from './export';
import * as fleet from './fleet';
import * as snapshots from './snapshots';
import * as gallery from './gallery';
import * as geotag from './geotag';
import * as login from './login';
import * as map from './map';
import * as offline from './offline';
import * as media from './media';
import * as problems from './problems';
import * as reject from './reject';
import * as station from './station';
import * as status from './status';
import * as video from './video';

export const en = {
  ...app.en,
  ...station.en,
  ...edit.en,
  ...gallery.en,
  ...events.en,
  ...problems.en,
  ...compare.en,
  ...map.en,
  ...clockFix.en,
  ...exportMessages.en,
  ...media.en,
  ...status.en,
  ...login.en,
  ...geotag.en,
  ...reject.en,
  ...albums.en,
  ...fleet.en,
  ...snapshots.en,
  ...video.en,
  ...offline.en,
};
export const es: Record<keyof typeof en, string> = {
  ...app.es,
  ...station.es,
  ...edit.es,
  ...gallery.es,
  ...events.es,
  ...problems.es,
  ...compare.es,
  ...map.es,
  ...clockFix.es,
  ...exportMessages.es,
  ...media.es,
  ...status.es,
  ...login.es,
  ...geotag.es,
  ...reject.es,
  ...albums.es,
  ...fleet.es,
  ...snapshots.es,
  ...video.es,
  ...offline.es,
};
