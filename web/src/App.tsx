import { useEffect, useState } from 'preact/hooks';
import { onUnauthenticated } from './api';
import { logout, whoAmI, type AuthState } from './auth';
import { CamerasPage } from './components/CamerasPage';
import { CardsPage } from './components/CardsPage';
import { GalleryPage } from './components/GalleryPage';
import { Login } from './components/Login';
import { MapPage } from './components/MapPage';
import { StatusPage } from './components/StatusPage';
import { t } from './i18n';
import { navigate, useLocation } from './router';

const PAGES: [string, string][] = [
  ['/', 'Gallery'],
  ['/status', 'Status'],
  ['/cards', 'Cards'],
  ['/cameras', 'Cameras'],
  ['/map', t('map.nav')],
];

function Nav({ path, auth, onLogout }: { path: string; auth: AuthState; onLogout(): void }) {
  return (
    <nav class="nav">
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
          {label}
        </a>
      ))}
      <span class="spacer" />
      {auth.kind === 'user' && (
        <button type="button" class="secondary" onClick={onLogout}>
          {auth.user.name} · Log out
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
  useEffect(() => onUnauthenticated(() => setAuth({ kind: 'login', message: 'Please log in again.' })), []);

  if (fatal)
    return (
      <p class="error page">
        {fatal} <button onClick={() => location.reload()}>Retry</button>
      </p>
    );
  if (auth.kind === 'checking') return <p class="page">Loading…</p>;
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
      ) : path === '/map' ? (
        <MapPage query={query} />
      ) : (
        <GalleryPage query={query} canEdit={!(auth.kind === 'user' && auth.user.role === 'viewer')} />
      )}
    </div>
  );
}
