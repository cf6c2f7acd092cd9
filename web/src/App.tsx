import { useEffect, useRef, useState } from 'preact/hooks';
import { onUnauthenticated } from './api';
import { logout, whoAmI, type AuthState } from './auth';
import { CamerasPage } from './components/CamerasPage';
import { CardsPage } from './components/CardsPage';
import { EventsPage } from './components/EventsPage';
import { FleetPage } from './components/FleetPage';
import { SnapshotsPage } from './components/SnapshotsPage';
import { VideoPage } from './components/VideoPage';
import { EditorPage } from './components/EditorPage';
import { GalleryPage } from './components/GalleryPage';
import { Login } from './components/Login';
import { MapPage } from './components/MapPage';
import { StatusPage } from './components/StatusPage';
import { navigate, useLocation } from './router';
import { chooseLanguage, language, LANGUAGES, t, type Lang, type MessageKey } from './i18n';

const PAGES: [string, MessageKey][] = [
  ['/', 'app.nav.gallery'],
  ['/status', 'app.nav.status'],
  ['/cards', 'app.nav.cards'],
  ['/cameras', 'app.nav.cameras'],
  ['/video', 'video.nav'],
  ['/snapshots', 'snap.nav'],
  ['/fleet', 'fleet.nav'],
  ['/events', 'albums.nav'],
  ['/map', 'map.nav'],
];

/** The app's language, chosen here and remembered on this tablet (the page reloads in it). */
function LanguagePicker() {
  return (
    <label class="lang">
      <span class="visually-hidden">{t('app.language')}</span>
      <select
        name="language"
        aria-label={t('app.language')}
        value={language()}
        onChange={(e) => chooseLanguage((e.target as HTMLSelectElement).value as Lang)}
      >
        {LANGUAGES.map((l) => (
          <option key={l.lang} value={l.lang} lang={l.lang}>
            {l.name}
          </option>
        ))}
      </select>
    </label>
  );
}

function Nav({ path, auth, onLogout }: { path: string; auth: AuthState; onLogout(): void }) {
  const links = useRef<HTMLDivElement>(null);
  // The current page's link stays in sight when the links scroll sideways.
  useEffect(() => {
    links.current
      ?.querySelector('[aria-current="page"]')
      ?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }, [path]);
  return (
    <nav class="nav">
      <div class="nav-links" ref={links}>
        {PAGES.map(([href, label]) => (
          <a
            key={href}
            href={href}
            aria-current={path === href ? 'page' : undefined}
            onClick={(e) => {
              e.preventDefault();
              navigate(href);
            }}
          >
            {t(label)}
          </a>
        ))}
      </div>
      <LanguagePicker />
      {auth.kind === 'user' && (
        <button type="button" class="secondary" onClick={onLogout}>
          {t('app.logout', { name: auth.user.name })}
        </button>
      )}
    </nav>
  );
}

export function App() {
  const { path, query } = useLocation();
  const [auth, setAuth] = useState<AuthState>({ kind: 'checking' });
  const [fatal, setFatal] = useState('');
  const check = (): void => {
    whoAmI()
      .then(setAuth)
      .catch((e: Error) => setFatal(e.message));
  };
  useEffect(check, []);
  useEffect(() => onUnauthenticated(() => setAuth({ kind: 'login', message: t('app.loginAgain') })), []);

  if (fatal)
    return (
      <p class="error page">
        {fatal} <button onClick={() => location.reload()}>{t('app.retry')}</button>
      </p>
    );
  if (auth.kind === 'checking') return <p class="page">{t('app.loading')}</p>;
  if (auth.kind === 'login' || auth.kind === 'setup')
    return (
      <Login
        mode={auth.kind}
        askCode={auth.kind === 'setup' && auth.code}
        message={auth.kind === 'login' ? auth.message : undefined}
        onDone={check}
      />
    );

  const doLogout = (): void => {
    logout().finally(() => setAuth({ kind: 'login' }));
  };
  return (
    // Viewers see no editing controls (the server refuses their edits in any case).
    <div class="app" data-role={auth.kind === 'user' ? auth.user.role : 'editor'}>
      <Nav path={path} auth={auth} onLogout={doLogout} />
      {path === '/status' ? (
        <StatusPage />
      ) : path === '/cards' ? (
        <CardsPage />
      ) : path === '/cameras' ? (
        <CamerasPage />
      ) : path === '/snapshots' ? (
        <SnapshotsPage query={query} canEdit={!(auth.kind === 'user' && auth.user.role === 'viewer')} />
      ) : path === '/edit' ? (
        <EditorPage query={query} />
      ) : path === '/video' ? (
        <VideoPage query={query} canEdit={!(auth.kind === 'user' && auth.user.role === 'viewer')} />
      ) : path === '/fleet' ? (
        <FleetPage query={query} canEdit={!(auth.kind === 'user' && auth.user.role === 'viewer')} />
      ) : path === '/map' ? (
        <MapPage query={query} />
      ) : path === '/events' ? (
        <EventsPage canEdit={!(auth.kind === 'user' && auth.user.role === 'viewer')} />
      ) : (
        <GalleryPage query={query} canEdit={!(auth.kind === 'user' && auth.user.role === 'viewer')} />
      )}
    </div>
  );
}
