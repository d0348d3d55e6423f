import { mount } from 'svelte';
import './lib/theme.css';
import App from './App.svelte';
import { connectToAgent } from './connect-to-agent.ts';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element to mount RadFed into.');

mount(App, { target, props: { connection: connectToAgent(window) } });
