import { render } from 'preact';
import { App } from './App';
import { filtersFrom } from './filters';
import { prefetchFirstPage } from './item-list';
import './styles.css';

if (location.pathname === '/') prefetchFirstPage(filtersFrom(new URLSearchParams(location.search)));
render(<App />, document.getElementById('app')!);
