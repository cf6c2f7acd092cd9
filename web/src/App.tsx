import type { ComponentType } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, onUnauthenticated } from './api';
import { useLazy } from './lazy';
import { hasOfflineData } from './offline/flag';
import { registerServiceWorker } from './offline/install';
import { logout, whoAmI, type AuthState } from './auth';
import { GalleryPage } from './components/GalleryPage';
import { Login } from './components/Login';
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
  ['/offline', 'offline.nav'],
];

/** The role last seen logged in on this tablet (offline, the station cannot say). */
const ROLE_KEY = 'outpost.role';
function rememberRole(role: string): void {
  try {
    localStorage.setItem(ROLE_KEY, role);
  } catch {
    /* not remembered */
  }
}
function rememberedRole(): string {
  try {
    return localStorage.getItem(ROLE_KEY) ?? 'editor';
  } catch {
    return 'editor';
  }
}

/** Station out of reach, this tablet holding take-away sets: the app runs on them alone. */
type AppAuth = AuthState | { kind: 'offline' };

const loadOfflinePage = () => import('./components/OfflinePage').then((m) => m.OfflinePage);

/** What a page may take (each takes what it needs of it). */
interface PageProps {
  query: URLSearchParams;
  canEdit: boolean;
  offline: boolean;
}
type PageLoader = () => Promise<ComponentType<PageProps>>;
const page =
  <P,>(load: () => Promise<ComponentType<P>>): PageLoader =>
  () =>
    load() as unknown as Promise<ComponentType<PageProps>>;

/**
 * Every page but the gallery is its own chunk, loaded when first opened: the gallery, which a
 * tablet opens first and most, does not wait for the code of the others.
 */
const LAZY_PAGES: Record<string, PageLoader> = {
  '/status': page(() => import('./components/StatusPage').then((m) => m.StatusPage)),
  '/cards': page(() => import('./components/CardsPage').then((m) => m.CardsPage)),
  '/cameras': page(() => import('./components/CamerasPage').then((m) => m.CamerasPage)),
  '/snapshots': page(() => import('./components/SnapshotsPage').then((m) => m.SnapshotsPage)),
  '/edit': page(() => import('./components/EditorPage').then((m) => m.EditorPage)),
  '/video': page(() => import('./components/VideoPage').then((m) => m.VideoPage)),
  '/fleet': page(() => import('./components/FleetPage').then((m) => m.FleetPage)),
  '/offline': page(loadOfflinePage),
  '/map': page(() => import('./components/MapPage').then((m) => m.MapPage)),
  '/events': page(() => import('./components/EventsPage').then((m) => m.EventsPage)),
};

function LazyPage({ load, ...props }: PageProps & { load: PageLoader }) {
  const Page = useLazy(load, true);
  return Page ? <Page {...props} /> : <p class="page">{t('app.loading')}</p>;
}

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

function Nav({ path, auth, onLogout }: { path: string; auth: AppAuth; onLogout(): void }) {
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
        {PAGES.filter(([href]) => auth.kind !== 'offline' || href === '/offline').map(([href, label]) => (
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
  const [auth, setAuth] = useState<AppAuth>({ kind: 'checking' });
  const [fatal, setFatal] = useState('');
  const check = (): void => {
    whoAmI()
      .then((a) => {
        if (a.kind === 'user') rememberRole(a.user.role);
        setFatal('');
        setAuth(a);
      })
      .catch((e: Error) => {
        // Out of reach with sets on this tablet: work on them (docs/offline.md).
        if (e instanceof ApiError && e.status === 0 && hasOfflineData()) setAuth({ kind: 'offline' });
        else setFatal(e.message);
      });
  };
  useEffect(check, []);
  useEffect(() => onUnauthenticated(() => setAuth({ kind: 'login', message: t('app.loginAgain') })), []);
  // The app shell is kept by a service worker (secure contexts only) so it starts offline; the
  // sync engine runs whenever this tablet holds offline data.
  useEffect(() => {
    void registerServiceWorker();
    if (hasOfflineData()) void import('./offline/sync').then((m) => m.startSync());
  }, []);
  // Offline: look for the station again now and then.
  useEffect(() => {
    if (auth.kind !== 'offline') return;
    const timer = setInterval(check, 5000);
    return () => clearInterval(timer);
  }, [auth.kind]);
  const OfflinePage = useLazy(loadOfflinePage, path === '/offline' || auth.kind === 'offline');

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

  if (auth.kind === 'offline')
    return (
      <div class="app" data-role={rememberedRole()} data-offline="yes">
        <Nav path="/offline" auth={auth} onLogout={() => undefined} />
        {OfflinePage ? (
          <OfflinePage
            query={path === '/offline' ? query : new URLSearchParams()}
            canEdit={rememberedRole() !== 'viewer'}
            offline
          />
        ) : (
          <p class="page">{t('app.loading')}</p>
        )}
      </div>
    );

  const doLogout = (): void => {
    logout().finally(() => setAuth({ kind: 'login' }));
  };
  return (
    // Viewers see no editing controls (the server refuses their edits in any case).
    <div class="app" data-role={auth.kind === 'user' ? auth.user.role : 'editor'}>
      <Nav path={path} auth={auth} onLogout={doLogout} />
      {LAZY_PAGES[path] ? (
        <LazyPage
          key={path}
          load={LAZY_PAGES[path]}
          query={query}
          canEdit={!(auth.kind === 'user' && auth.user.role === 'viewer')}
          offline={false}
        />
      ) : (
        <GalleryPage query={query} canEdit={!(auth.kind === 'user' && auth.user.role === 'viewer')} />
      )}
    </div>
  );
}
