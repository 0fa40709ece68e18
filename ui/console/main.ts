import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import '../shared/files.css';

const target = document.getElementById('app');
if (!target) throw new Error('index.html must contain <div id="app">');
mount(App, { target });
