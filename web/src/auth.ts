import { api, ApiError } from './api';
import { takeBootMe } from './boot';

export interface Me {
  name: string;
  role: string;
}

/**
 * Who is logged in. `open`: the server has no login (auth routes absent: every request is allowed);
 * `setup`: no user exists yet, the first one is created in the app; `login`: log in first.
 */
export type AuthState =
  | { kind: 'checking' }
  | { kind: 'open' }
  | { kind: 'setup'; code: boolean }
  | { kind: 'login'; message?: string }
  | { kind: 'user'; user: Me };

interface MeAnswer {
  user?: Me | null;
  name?: string;
  role?: string;
  setupRequired?: boolean;
  needsSetup?: boolean;
  setupCodeRequired?: boolean;
}

export async function whoAmI(): Promise<AuthState> {
  try {
    const me = (takeBootMe() as MeAnswer | undefined) ?? (await api<MeAnswer>('GET', '/api/auth/me'));
    if (me.setupRequired || me.needsSetup) return { kind: 'setup', code: !!me.setupCodeRequired };
    const user = me.user ?? (me.name ? { name: me.name, role: me.role ?? 'viewer' } : null);
    return user ? { kind: 'user', user } : { kind: 'login' };
  } catch (e) {
    if (e instanceof ApiError) {
      if (e.status === 404 && e.code === 'ROUTE_NOT_FOUND') return { kind: 'open' };
      if (/SETUP/.test(e.code) && e.code !== 'SETUP_DONE') return { kind: 'setup', code: true };
      if (e.status === 401) return { kind: 'login' };
    }
    throw e;
  }
}

export const login = (name: string, password: string): Promise<unknown> =>
  api('POST', '/api/auth/login', { name, password });
export const setup = (name: string, password: string, setupCode?: string): Promise<unknown> =>
  api(
    'POST',
    '/api/auth/setup',
    setupCode === undefined ? { name, password } : { name, password, setupCode },
  );
export const logout = (): Promise<unknown> => api('POST', '/api/auth/logout');
