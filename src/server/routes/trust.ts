/**
 * `/trust`: how to make a tablet, phone or laptop trust the station's own certificate authority,
 * once, so the web app is a secure context (HTTPS without warnings: offline use, installing to
 * the home screen). Served over plain HTTP too (lan-https.ts): it is what someone opens before
 * the station is trusted. English or Spanish by the browser's language; a QR code of this page's
 * address for the tablet's camera; the CA certificate as `/trust/ca.crt` (DER, the type iPadOS
 * and Android install from a download) and `/trust/ca.pem`.
 */
import { X509Certificate } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import QRCode from 'qrcode';
import { hintLangOf } from '../../core/hints-es.js';

export interface TrustDeps {
  /** The CA certificate (PEM) and its SHA-256 fingerprint. */
  caCert: string;
  caFingerprint: string;
  /** Where the app is over HTTPS, for a link (port; the host is the one asked). */
  httpsPort(): number;
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const TEXT = {
  en: {
    title: 'Trust this station',
    intro:
      'The Outpost station has its own certificate authority. Install it once on each tablet, phone or laptop: the app then opens over HTTPS without warnings, keeps working offline and installs to the home screen.',
    download: 'Download the certificate',
    fingerprint: 'Its SHA-256 fingerprint (compare it with the one the device shows):',
    open: 'Then open the app over HTTPS:',
    scan: 'Or scan this with the tablet’s camera to open this page on it:',
    platforms: [
      [
        'iPad and iPhone',
        'In Safari, tap “Download the certificate”, then Allow. Open Settings › General › VPN & Device Management, tap the “Outpost station” profile and Install. Then the step most people miss: Settings › General › About › Certificate Trust Settings, and turn on full trust for “Outpost station”.',
      ],
      [
        'Android',
        'Tap “Download the certificate”. Open Settings › Security (or Security & privacy) › Encryption & credentials › Install a certificate › CA certificate, tap Install anyway, and choose the downloaded file.',
      ],
      [
        'Windows',
        'Download the certificate and open it: Install Certificate › Current User › Place all certificates in the following store › Browse › Trusted Root Certification Authorities › OK › Next › Finish, and answer Yes. Restart the browser.',
      ],
      [
        'macOS',
        'Download the certificate and open it: Keychain Access adds it. Double-click “Outpost station”, open Trust, and set “When using this certificate” to Always Trust.',
      ],
      [
        'Linux and Chromebook',
        'In Chrome: Settings › Privacy and security › Security › Manage certificates › Authorities › Import, choose the file and tick “Trust this certificate for identifying websites”.',
      ],
    ],
  },
  es: {
    title: 'Confiar en esta estación',
    intro:
      'La estación Outpost tiene su propia autoridad de certificación. Instálela una vez en cada tableta, teléfono o portátil: así la aplicación se abre por HTTPS sin avisos, sigue funcionando sin conexión y se instala en la pantalla de inicio.',
    download: 'Descargar el certificado',
    fingerprint: 'Su huella SHA-256 (compárela con la que muestra el dispositivo):',
    open: 'Después abra la aplicación por HTTPS:',
    scan: 'O escanee esto con la cámara de la tableta para abrir esta página en ella:',
    platforms: [
      [
        'iPad y iPhone',
        'En Safari, toque «Descargar el certificado» y luego Permitir. Abra Ajustes › General › VPN y gestión de dispositivos, toque el perfil «Outpost station» e Instalar. Luego el paso que casi todos olvidan: Ajustes › General › Información › Ajustes de confianza de certificados, y active la confianza total para «Outpost station».',
      ],
      [
        'Android',
        'Toque «Descargar el certificado». Abra Ajustes › Seguridad (o Seguridad y privacidad) › Cifrado y credenciales › Instalar un certificado › Certificado de CA, toque Instalar de todos modos y elija el archivo descargado.',
      ],
      [
        'Windows',
        'Descargue el certificado y ábralo: Instalar certificado › Usuario actual › Colocar todos los certificados en el siguiente almacén › Examinar › Entidades de certificación raíz de confianza › Aceptar › Siguiente › Finalizar, y responda Sí. Reinicie el navegador.',
      ],
      [
        'macOS',
        'Descargue el certificado y ábralo: Acceso a Llaveros lo añade. Haga doble clic en «Outpost station», abra Confiar y ponga «Al utilizar este certificado» en Confiar siempre.',
      ],
      [
        'Linux y Chromebook',
        'En Chrome: Configuración › Privacidad y seguridad › Seguridad › Gestionar certificados › Autoridades › Importar, elija el archivo y marque «Confiar en este certificado para identificar sitios web».',
      ],
    ],
  },
} as const;

export function registerTrustRoutes(app: FastifyInstance, trust: TrustDeps): void {
  const der = new X509Certificate(trust.caCert).raw;
  const common = { config: { role: 'public' as const }, schema: { hide: true } };

  app.get('/trust/ca.crt', common, async (_req, reply) =>
    reply
      .type('application/x-x509-ca-cert')
      .header('content-disposition', 'attachment; filename="outpost-station-ca.crt"')
      .header('cache-control', 'no-cache')
      .send(der),
  );
  app.get('/trust/ca.pem', common, async (_req, reply) =>
    reply
      .type('application/x-pem-file')
      .header('content-disposition', 'attachment; filename="outpost-station-ca.pem"')
      .header('cache-control', 'no-cache')
      .send(trust.caCert),
  );
  app.get('/trust', common, async (req, reply) => {
    const lang = hintLangOf(req.headers['accept-language']) === 'es' ? 'es' : 'en';
    const t = TEXT[lang];
    const host = (req.headers.host ?? 'outpost.local').replace(/:\d+$/, '');
    const safeHost = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)$/.test(host) ? host : 'outpost.local';
    const here = `${req.protocol}://${safeHost}${req.headers.host?.match(/:\d+$/)?.[0] ?? ''}/trust`;
    const port = trust.httpsPort();
    const app = `https://${safeHost}${port === 443 ? '' : `:${port}`}/`;
    const qr = await QRCode.toString(here, { type: 'svg', margin: 1, width: 220 });
    const html = `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(t.title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:1rem auto;padding:0 1rem}a.button{display:inline-block;padding:.6rem 1rem;background:#1d4ed8;color:#fff;border-radius:.4rem;text-decoration:none}code{word-break:break-all}h2{font-size:1.1rem;margin-top:1.4rem}</style>
</head><body class="trust-page">
<h1>${escapeHtml(t.title)}</h1>
<p>${escapeHtml(t.intro)}</p>
<p><a class="button" id="download" href="/trust/ca.crt">${escapeHtml(t.download)}</a></p>
<p>${escapeHtml(t.fingerprint)}<br><code id="fingerprint">${escapeHtml(trust.caFingerprint)}</code></p>
${t.platforms.map(([name, how]) => `<h2>${escapeHtml(name)}</h2><p>${escapeHtml(how)}</p>`).join('\n')}
<p>${escapeHtml(t.open)} <a id="app" href="${escapeHtml(app)}">${escapeHtml(app)}</a></p>
<p>${escapeHtml(t.scan)}</p>
<div id="qr">${qr}</div>
</body></html>`;
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
  });
}
