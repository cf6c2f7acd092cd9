import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { login, setup } from '../auth';
import { errorText } from '../error-text';
import { t } from '../i18n';
import { LanguagePicker } from './LanguagePicker';

interface Props {
  mode: 'login' | 'setup';
  /** Setup needs the one-time code the station printed at start. */
  askCode?: boolean;
  message?: string;
  onDone(): void;
}

/** Log in, or create the first user (an editor) when the library has none. */
export function Login({ mode, askCode = false, message, onDone }: Props) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState(message ?? '');
  const [busy, setBusy] = useState(false);
  // First start: the station's name on the LAN (mDNS), for the tablets that come next.
  const [address, setAddress] = useState('');
  useEffect(() => {
    if (mode !== 'setup') return;
    api<{ url: string }>('GET', '/api/system/address')
      .then((a) => setAddress(a.url))
      .catch(() => undefined);
  }, [mode]);
  const submit = (e: Event): void => {
    e.preventDefault();
    setBusy(true);
    setError('');
    (mode === 'setup'
      ? setup(name.trim(), password, askCode ? code : undefined)
      : login(name.trim(), password)
    )
      .then(onDone)
      .catch((err: unknown) =>
        setError(
          err instanceof ApiError && err.code === 'UNAUTHENTICATED' && mode === 'login'
            ? t('login.wrong')
            : errorText(err),
        ),
      )
      .finally(() => setBusy(false));
  };
  return (
    <form class="login" onSubmit={submit}>
      <h1>Outpost</h1>
      <p>{mode === 'setup' ? t('login.setupIntro') : t('login.intro')}</p>
      {mode === 'setup' && address && (
        <p class="setup-address">
          {t('setup.address')} <a href={address}>{address}</a>
          <br />
          <small class="hint">{t('setup.addressHint')}</small>
        </p>
      )}
      {mode === 'setup' && askCode && (
        <label>
          {t('login.setupCode')}
          <input
            name="setup-code"
            autocomplete="one-time-code"
            autocapitalize="characters"
            required
            placeholder="XXXX-XXXX"
            value={code}
            onInput={(e) => setCode((e.target as HTMLInputElement).value)}
          />
          <small>{t('login.setupCodeHint')}</small>
        </label>
      )}
      <label>
        {t('login.name')}
        <input
          name="name"
          autocomplete="username"
          required
          value={name}
          onInput={(e) => setName((e.target as HTMLInputElement).value)}
        />
      </label>
      <label>
        {t('login.password')}
        <input
          name="password"
          type="password"
          autocomplete={mode === 'setup' ? 'new-password' : 'current-password'}
          required
          minLength={mode === 'setup' ? 8 : undefined}
          value={password}
          onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
        />
      </label>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" disabled={busy}>
        {mode === 'setup' ? t('login.create') : t('login.submit')}
      </button>
      <LanguagePicker />
    </form>
  );
}
