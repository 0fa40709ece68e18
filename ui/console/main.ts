import { mount } from 'svelte';
import App from './App.svelte';
import { onFailedCall } from '../shared/http.ts';
import { standbySite } from './lib/standbySite.svelte.ts';
import './app.css';
import '../shared/files.css';

const target = document.getElementById('app');
if (!target) throw new Error('index.html must contain <div id="app">');
// Any call a standby site refused (issue 15) shows it as such, on every page (App.svelte).
onFailedCall((failure) => standbySite.noted(failure));
mount(App, { target });
