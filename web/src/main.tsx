import { render } from 'preact';
import { App } from './App';
import { filtersFrom } from './filters';
import { language } from './i18n';
import { prefetchFirstPage } from './item-list';
import './styles.css';

if (location.pathname === '/') prefetchFirstPage(filtersFrom(new URLSearchParams(location.search)));
document.documentElement.lang = language();
render(<App />, document.getElementById('app')!);
