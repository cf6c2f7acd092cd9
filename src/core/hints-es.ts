/**
 * The Spanish half of the one vocabulary's hints (errors.ts, warnings.ts): what a person reading
 * the web app in Spanish is told to do. Typed to hold every code, so a new code without its Spanish
 * hint does not compile. Messages stay in English (they carry the specifics: names, sizes, paths);
 * the hint is what to do, and that is what is translated. Pure data.
 */
import type { ErrorCode } from './errors.js';
import { ERROR_CATALOGUE } from './errors.js';
import { WARNING_CATALOGUE, type Code, type WarningCode } from './warnings.js';

export const ERROR_HINTS_ES: Record<ErrorCode, string> = {
  CONFIG_INVALID: 'Corrija las claves indicadas en el archivo de configuración y vuelva a iniciar.',
  USAGE: 'Ejecute la orden con --help para ver sus opciones.',
  INVALID_INPUT: 'Corrija los campos indicados y vuelva a intentarlo.',
  NOT_A_LIBRARY: 'Indique con --library un disco preparado con `outpost init-drive <dir>`.',
  LIBRARY_EXISTS: 'Esta carpeta ya es un disco de biblioteca; no hay nada que hacer.',
  LIBRARY_LOCKED: 'Otro proceso de Outpost trabaja con esta biblioteca; espere a que termine o deténgalo.',
  LIBRARY_VERSION: 'Actualice Outpost para leer este disco.',
  CATALOG_ENGINE:
    'Esto funciona solo con un disco de biblioteca (catálogo SQLite); ejecútelo en la estación, no en una sede con PostgreSQL.',
  CATALOG_UNREACHABLE:
    'Compruebe que PostgreSQL está en marcha y que hq.database (servidor, puerto, usuario, contraseña, base de datos) es correcto.',
  CARD_NOT_FOUND: 'Compruebe la ruta de la tarjeta; ¿está montada?',
  CARD_REMOVED:
    'La tarjeta se retiró durante la copia. Todo lo copiado está a salvo; vuelva a insertarla para continuar.',
  CARD_READ_ERROR:
    'No se pudo leer la tarjeta; pruebe otro lector de tarjetas o copie la tarjeta con ddrescue.',
  DRIVE_FULL:
    'Libere espacio en el disco de biblioteca (o conecte uno más grande) y vuelva a copiar; continúa donde quedó.',
  DRIVE_WRITE_ERROR:
    'El disco de biblioteca falló al escribir; revise su cable y su estado (dmesg) y vuelva a copiar.',
  CONTENT_MISMATCH:
    'Los bytes leídos no tienen el SHA-256 esperado (el origen cambió o está dañado); no se guardó nada. Revise el origen y vuelva a intentarlo.',
  PLACE_CONFLICT: 'Ejecute `outpost fsck --hash` en la biblioteca: un archivo no coincide con su nombre.',
  ITEM_NOT_FOUND: 'Compruebe el identificador con `outpost ls`.',
  AMBIGUOUS_ID: 'Escriba más caracteres del identificador.',
  CARD_ASSIGNED_ELSEWHERE:
    'Reasigne la tarjeta con `outpost cards assign <tarjeta> <monitor>` (o `outpost ingest --reassign`), o copie sin --monitor.',
  MONITOR_INVALID: 'Los nombres de monitor pueden llevar letras, cifras, espacio, punto, guion y guion bajo.',
  TOOL_MISSING: 'Instálelo (por ejemplo `apt-get install ffmpeg`) y vuelva a intentarlo.',
  FSCK_PROBLEMS: 'Vea en cada problema qué hacer.',
  DRIVE_NOT_EMPTY:
    'Aquí solo se prepara como biblioteca un disco vacío; copie antes sus archivos a otro sitio, o use `outpost init-drive`.',
  STATION_NOT_RUNNING: 'Inicie la estación con `outpost station`.',
  DEVICE_BUSY:
    'Todavía no es seguro retirarlo: cierre el programa indicado (o salga de la carpeta) y vuelva a expulsar.',
  NO_SUCH_DEVICE: 'La estación no tiene nada montado en esa ranura; `outpost status` muestra lo que tiene.',
  SYSTEMD_NOT_RUNNING:
    'Esta máquina no arrancó con systemd (¿un contenedor o chroot?): no hay servicio outpost. Inicie la estación a mano (`outpost station`).',
  DEVICES_NOT_MANAGED:
    'Aquí la estación no monta los dispositivos (station.devices.manage: false, o sin permisos de root): desmóntelo como se montó.',
  MOUNT_FAILED:
    'No se pudo montar el sistema de archivos; revise el dispositivo en otro ordenador (quizá necesite reparación) y vuelva a conectarlo.',
  UPLINK_OFFLINE:
    'No se pudo llegar a la sede; no se pierde nada. Revise la conexión a internet y vuelva a intentarlo (la estación reintenta sola).',
  UPLINK_REFUSED:
    'La sede rechaza la clave de esta estación: revise uplink.hq.key o pida una clave nueva a la sede (`outpost hq keys add <estación>`).',
  CHECKSUM_MISMATCH:
    'Los bytes recibidos por la sede no tienen el SHA-256 anunciado: la subida se borró; vuelva a empezarla.',
  STATION_KEY_EXISTS:
    'Revoque primero la clave anterior (`outpost hq keys revoke <estación>`) y luego añada una nueva.',
  STATION_NOT_FOUND: 'Vea `outpost hq keys list`.',
  OBJECT_NOT_FOUND: 'La sede no tiene (todavía) estos bytes.',
  SESSION_NOT_FOUND: 'Vea `outpost fleet sessions` para las sesiones guardadas aquí.',
  FLEET_BROKER_UNREACHABLE:
    'Revise broker.url en la configuración de la flota (mqtt://host:puerto), que el bróker esté en marcha (`outpost station` tiene uno en el puerto 1883) y su usuario y contraseña.',
  FLEET_CONFIG_REFUSED:
    'Una estación rechazó los ajustes de una cámara (no tiene esa cámara o los ajustes no se pueden usar): vea cada rechazo, corrija la configuración de la flota y envíela de nuevo.',
  FLEET_NOT_STARTED:
    'Ninguna estación aceptó: vea cada rechazo y cada estación en silencio, corríjalos y vuelva a empezar.',
  STORE_UNREACHABLE:
    'No se puede llegar al almacén de objetos (S3 o Azure): revise su dirección (endpoint) en la configuración y la red. No se pierde nada; se vuelve a intentar.',
  STORE_CREDENTIALS:
    'El almacén de objetos rechaza las credenciales: revise la clave de acceso y el secreto (S3), o la cadena de conexión o el token SAS (Azure).',
  STORE_BUCKET_MISSING:
    'Cree el bucket (S3) o el contenedor (Azure), o corrija su nombre en la configuración.',
  STORE_CLOCK_SKEW:
    'El almacén de objetos rechaza la hora de este equipo (las firmas admiten unos 15 minutos): ponga el reloj en hora y vuelva a intentarlo.',
  STORE_FULL:
    'El almacén de objetos superó su cuota: libere espacio allí o amplíe la cuota. No se pierde nada; se vuelve a intentar.',
  STORE_UPLOAD_GONE:
    'El almacén de objetos ya no conoce esta subida sin terminar (cancelada, o caducada por una regla de ciclo de vida): se empieza de nuevo desde el primer byte.',
  STORE_FAILED:
    'El almacén de objetos respondió con un error (vea el mensaje); se vuelve a intentar. Si persiste, revise el almacén.',
  MIRROR_SAME_DRIVE:
    'Indique dos discos de biblioteca distintos (el segundo conectado, o su punto de montaje).',
  MIRROR_DELETE_GUARD:
    'Revise los borrados del otro disco; si son intencionados, vuelva a copiar con --force (o suba mirror.maxDeleteShare).',
  RECORDER_SOURCE:
    'Corrija la fuente de la cámara: testsrc:, file:/ruta/abs.mp4, rtsp://…, http(s)://…, v4l2:/dev/video0 o rpicam: (docs/recorder.md).',
  RECORDER_FAILED:
    'La grabación sigue fallando: revise la cámara (cable, red, `ffmpeg -i <fuente>`) y en el registro las últimas palabras de ffmpeg.',
  SEGMENT_INVALID:
    'El segmento grabado no tiene vídeo reproducible (la cámara no envió nada); se deja fuera de la biblioteca.',
  SNAPSHOT_INVALID:
    'La cámara envió algo que no es un JPEG completo (vacío, cortado o dañado); no se guarda. Revise la configuración de instantáneas de la cámara; la siguiente llega como siempre.',
  SNAPSHOT_NO_DRIVE:
    'Las instantáneas se guardan en el disco de biblioteca: conecte uno. La cámara vuelve a enviar en su próxima instantánea.',
  RECORDING_FAILED:
    'No se pudo guardar un evento de movimiento: compruebe que la memoria de grabación (recorder.ringDir) y el disco de biblioteca tienen espacio, y el registro.',
  SCRUB_DAMAGE:
    'Conecte el segundo disco y ejecute `outpost scrub <disco> --partner <otro> --repair`; lo dañado en ambos discos debe venir de la sede o de una copia.',
  OP_INVALID: 'El cambio no se aplicó: su campo o su valor no es uno que una edición pueda registrar.',
  OP_CLOCK_AHEAD:
    'El reloj del remitente va adelantado: póngalo en hora (timedatectl / NTP). El cambio se reenvía cuando llegue su hora.',
  OP_FORBIDDEN:
    'Solo la estación dueña de un elemento (o los editores de la sede) pueden moverlo o borrarlo.',
  UNSAFE_PATH:
    'Una ruta del catálogo sale de library/: no se movió nada. Ejecute `outpost fsck` e infórmelo.',
  CLOCK_SUSPECT:
    'El reloj de la estación parece incorrecto, así que nada se archiva con una fecha errónea: póngalo en hora desde una tableta (página Estado) o conecte la estación a internet. Las tarjetas esperan y se copian cuando esté bien.',
  CLOCK_REFUSED: 'Revise el reloj de la tableta (fecha, hora y zona horaria) y vuelva a intentarlo.',
  CLOCK_SET_FAILED:
    'La estación no puede poner su reloj en hora: dé al servicio CAP_SYS_TIME o ejecute `sudo date -s @<segundos>` en ella.',
  SYSTEM_COMMAND_FAILED:
    'Falló una orden del sistema; sus últimas palabras están en el mensaje. Revise el registro (`journalctl -u outpost`).',
  UNAUTHENTICATED: 'Inicie sesión y vuelva a intentarlo.',
  FORBIDDEN: 'Pida a un editor que haga este cambio, o que le dé el rol de editor.',
  ROUTE_NOT_FOUND: 'Vea /api/docs para las rutas que ofrece este servidor.',
  RENDITION_NOT_FOUND:
    'Este elemento no tiene esa versión (el audio no tiene, los archivos ilegibles quizá tampoco); use el original.',
  FILE_MISSING:
    'El catálogo lista un archivo que el disco no tiene: ejecute `outpost fsck` en la biblioteca.',
  PAYLOAD_TOO_LARGE: 'Envíe menos datos a la vez (como mucho 1 MiB); divida los lotes grandes.',
  UNSUPPORTED_MEDIA_TYPE: 'Envíe JSON con `Content-Type: application/json`.',
  EXPORT_EXPIRED:
    'Los enlaces de descarga de un zip duran 15 minutos y terminan si la estación se reinicia: vuelva a exportar la selección.',
  RANGE_NOT_SATISFIABLE: 'Pida bytes dentro del archivo; su tamaño está en la cabecera Content-Range.',
  RATE_LIMITED: 'Espere un poco y vuelva a intentarlo.',
  REQUEST_TIMEOUT:
    'Envíe la petición sin pausas (una conexión detenida o muy lenta se corta); vuelva a intentarlo.',
  TOO_MANY_STREAMS:
    'Cierre la vista en directo o la pestaña de Outpost en otra pantalla, o pida que se suba server.limits en la configuración.',
  CAMERA_NOT_FOUND: 'GET /api/cameras lista las cámaras de esta estación.',
  CONFLICT_NOT_FOUND: 'Recargue la lista de conflictos (GET /api/sync/conflicts): el id no es correcto.',
  CONFLICT_STALE:
    'El campo volvió a cambiar desde el conflicto: recargue el elemento y edítelo si hace falta.',
  MAP_TILES_INVALID:
    'Use un archivo MBTiles de imágenes (teselas PNG, JPEG o WebP), por ejemplo de QGIS «Generar teselas XYZ (MBTiles)»; expórtelo de nuevo si está dañado.',
  MAP_TILE_NOT_FOUND:
    'La estación no tiene tesela ahí: fuera de la zona o de los niveles de zoom importados, o no se importó ningún mapa (`outpost map import`).',
  LIVE_TOO_MANY_CLIENTS:
    'Cierre la vista en directo en otra pantalla, o suba live.maxClients de esta cámara en la configuración.',
  LIVE_NO_FRAME:
    'La cámara todavía no envió imagen (arrancando o caída): vea su estado en la página Cámaras y vuelva a intentarlo.',
  CSRF_REJECTED: 'Haga los cambios desde la aplicación web de Outpost, no desde otro sitio.',
  SETUP_CODE_WRONG:
    'Escriba el código de configuración que mostró la estación al arrancar (`journalctl -u outpost`, o su consola), o cree un usuario con `outpost user add` en la estación.',
  HOST_NOT_ALLOWED:
    'Abra la aplicación por la dirección IP o el nombre de la máquina, o añada el nombre que usa a server.allowedHosts en la configuración.',
  SETUP_DONE: 'Esta biblioteca ya tiene usuarios: inicie sesión o pida una cuenta a un editor.',
  INTERNAL: 'Es un error del programa; infórmelo junto con el registro.',
  TIMELAPSE_EMPTY:
    'La cámara no envió instantáneas ese día (en su zona horaria): compruebe que envía a la estación y que su zona horaria es correcta.',
  TIMELAPSE_FAILED:
    'ffmpeg no pudo hacer el timelapse (vea el mensaje); compruebe que las instantáneas de ese día son JPEG legibles y que el disco tiene espacio, y vuelva a hacerlo.',
  FTP_LISTEN_FAILED:
    'Otro programa ocupa el puerto FTP de las instantáneas, o la dirección FTP no es de esta máquina: detenga ese programa o cambie el puerto o la dirección FTP en la configuración y vuelva a iniciar.',
  VIDEO_NO_FOOTAGE:
    'La cámara no grabó nada en ese intervalo: compruebe el nombre de la cámara y las horas (una hora sola es en la zona de la estación), o vea sus grabaciones con `outpost ls --monitor <nombre> --type video`.',
  VIDEO_MISMATCH:
    'Las grabaciones del intervalo difieren (tamaño, códec o sonido) donde indica el mensaje: exporte por separado las partes antes y después de esa hora.',
  VIDEO_UNREADABLE:
    'ffprobe no puede leer el vídeo (vea el mensaje): el archivo está dañado o no es un vídeo. Ejecute `outpost fsck` en el disco.',
  VIDEO_EXPORT_NOT_FOUND:
    'No hay tal exportación en cola ni en curso: puede que ya haya terminado (vea la lista de exportaciones).',
  VIDEO_CANCELLED:
    'El vídeo se canceló antes de terminar; no se guardó nada de él. Vuelva a iniciarlo cuando lo quiera.',
  VIDEO_EXPORT_FAILED:
    'ffmpeg falló al hacer el vídeo (vea el mensaje); compruebe que el disco tiene espacio y vuelva a intentarlo. No se guardó nada a medias.',
};

export const WARNING_HINTS_ES: Record<WarningCode, string> = {
  DECODE_FAILED:
    'El original se guarda byte a byte, pero no se pudo decodificar (dañado, o un formato aún no admitido): ábralo en un ordenador.',
  NO_METADATA:
    'El archivo no tiene fecha de captura, cámara ni posición: se fecha con la hora del propio archivo. Indique la ubicación a mano si importa.',
  TRUNCATED:
    'El archivo está cortado (tarjeta retirada mientras la cámara escribía, o una tarjeta que falla): se muestra lo legible; el original se guarda tal cual.',
  NO_DERIVATIVES:
    'No se pudo hacer miniatura ni vista previa; el original está a salvo: descárguelo o ábralo en un ordenador.',
  UNREADABLE:
    'No se pudo leer el archivo: pruebe otro lector de tarjetas (en un disco de biblioteca: una verificación con el segundo disco conectado). Los demás archivos se copian.',
  VANISHED:
    'El archivo desapareció mientras se copiaba (¿se retiró la tarjeta?): vuelva a insertarla; el resto se copia entonces.',
  ZERO_BYTES: 'Un archivo vacío (la cámara se detuvo al escribirlo): no hay nada que copiar.',
  SYMLINK:
    'Los enlaces de una tarjeta nunca se siguen (pueden llevar fuera de ella): copie el archivo mismo a la tarjeta si importa.',
  SPECIAL_FILE:
    'Un FIFO, dispositivo o socket nunca se abre; una cámara no escribe esto: revise por dónde ha pasado la tarjeta.',
  SIDECAR_UNREADABLE:
    'No se pudo leer el archivo XMP: el elemento se cataloga sin lo que contenía. Corrija o quite el XMP (el original no se toca).',
  COMPANION_CONFLICT:
    'Ya hay otro archivo acompañante distinto (p. ej. .WAV) junto al elemento: se conserva el de la biblioteca; el otro no se copió (sigue en la tarjeta o en el otro disco).',
  CLEANUP_DEFERRED:
    'La tarjeta no se tocó: la política de limpieza (ingest.cleanup.require) pide copias que esta estación aún no puede confirmar.',
  VERIFY_FAILED:
    'La copia de la biblioteca no coincidió al volver a calcular su huella, así que se conservó el archivo de la tarjeta: ejecute `outpost fsck --hash`.',
  ERASE_FAILED:
    'No se pudo borrar un archivo de la tarjeta (¿protegida contra escritura?); su copia en la biblioteca está a salvo: formatee la tarjeta en la cámara.',
  MISSING:
    'El archivo ya no está en el disco. Restáurelo desde el disco espejo o la sede (una verificación con el otro disco conectado lo hace); no borre la entrada del catálogo.',
  SIZE_MISMATCH:
    'El original cambió o quedó cortado. Restáurelo desde el disco espejo o la sede; no borre la entrada del catálogo.',
  CORRUPT:
    'El original ya no coincide con su huella. Restáurelo desde el disco espejo o la sede; no borre la entrada del catálogo.',
  ORPHAN: 'Ejecute `outpost rebuild` para catalogarlo, o sáquelo de library/ si no corresponde.',
  TMP_LEFTOVER: 'Una copia interrumpida; la próxima copia la quita (se puede borrar).',
  PENDING: 'Una copia interrumpida; la próxima la deshace y vuelve a copiar el archivo.',
  MISSING_DERIVATIVE: 'Ejecute `outpost rebuild` para rehacer las miniaturas y vistas previas.',
  COMPANION_MISSING: 'Restaure el archivo acompañante desde la tarjeta, el disco espejo o la sede.',
  COMPANION_CORRUPT: 'Restaure el archivo acompañante desde la tarjeta, el disco espejo o la sede.',
  UNEXPECTED_FOLDER:
    'Solo se catalogan carpetas library/<MONITOR>/<AAAA-MM-DD>/: mueva sus archivos a una y reconstruya.',
  NOT_MEDIA: 'No es una foto, un vídeo ni un audio: se deja donde está, sin catalogar.',
  DUPLICATE_FILE:
    'Los mismos bytes están dos veces en la biblioteca: uno se cataloga; la otra copia se puede quitar.',
  OLD_CATALOG_UNREADABLE:
    'Valoraciones, etiquetas y asignaciones de tarjetas se recuperan de los XMP; el catálogo anterior se guarda como copia junto al nuevo.',
  SOURCE_MISSING:
    'Falta el archivo a copiar en el otro disco: ejecute `outpost fsck` allí; la próxima copia espejo lo reintenta.',
  SOURCE_CORRUPT:
    'La copia del otro disco ya no coincide con su huella, así que no se copió: ejecute `outpost scrub` en ese disco.',
  PATH_CONFLICT:
    'Otro elemento tiene el mismo nombre de archivo en el otro disco: no se sobrescribió nada. Ejecute `outpost fsck` en ambos discos.',
  RELOCATE_FAILED:
    'No se pudo mover un archivo a donde lo ponen su fecha o monitor editados; la próxima copia espejo lo reintenta.',
  BACKLOG_NEAR_BUDGET:
    'Grabaciones que la sede no confirmó cerca del límite de la cámara: revise el enlace, o suba el límite (cameras[].budget.maxGB).',
  BUDGET_BLOCKED:
    'Por encima del límite, pero las grabaciones más antiguas aún no están en la sede, así que se conservan: revise el enlace o suba el límite.',
  DRIVE_FLOOR_BLOCKED:
    'El disco está por debajo de recorder.minFreeGB y lo que podría irse aún no está en la sede: revise el enlace, libere espacio o conecte un disco mayor.',
};

export type HintLang = 'en' | 'es';

/**
 * The hint to show for a code in a language: the Spanish one when the hint is the vocabulary's
 * own (a hint written for one case stays as written). Pure.
 */
export function localizedHint(code: string, hint: string, lang: HintLang): string {
  if (lang !== 'es') return hint;
  if (Object.hasOwn(ERROR_CATALOGUE, code)) {
    const c = code as ErrorCode;
    return hint === ERROR_CATALOGUE[c].hint ? ERROR_HINTS_ES[c] : hint;
  }
  if (Object.hasOwn(WARNING_CATALOGUE, code)) {
    const c = code as WarningCode;
    return hint === WARNING_CATALOGUE[c].hint ? WARNING_HINTS_ES[c] : hint;
  }
  return hint;
}

/** `Accept-Language: es-PE,es;q=0.9,en;q=0.8` → 'es' when Spanish comes before English. Pure. */
export function hintLangOf(acceptLanguage: string | undefined): HintLang {
  if (!acceptLanguage) return 'en';
  const langs = acceptLanguage
    .split(',')
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find(Boolean);
      return { tag: tag.toLowerCase(), q: q === undefined ? 1 : Number(q), i };
    })
    .filter((l) => l.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const l of langs) {
    if (l.tag === 'es' || l.tag.startsWith('es-')) return 'es';
    if (l.tag === 'en' || l.tag.startsWith('en-')) return 'en';
  }
  return 'en';
}

/** Every code's hint in a language (for a test that none is missing or left in English). */
export function allHints(lang: HintLang): Record<Code, string> {
  const out = {} as Record<Code, string>;
  for (const c of Object.keys(ERROR_CATALOGUE) as ErrorCode[])
    out[c] = lang === 'es' ? ERROR_HINTS_ES[c] : ERROR_CATALOGUE[c].hint;
  for (const c of Object.keys(WARNING_CATALOGUE) as WarningCode[])
    out[c] = lang === 'es' ? WARNING_HINTS_ES[c] : WARNING_CATALOGUE[c].hint;
  return out;
}
