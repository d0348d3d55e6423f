// `npm run build:icons`: the installer's app icons, drawn by main/app/tray/tray-icons.ts (no image files
// from elsewhere): build/icon.png (512 px, Linux and macOS) and build/icon.ico (256 px, Windows).
import { mkdirSync, writeFileSync } from 'node:fs';
import { encodeIco, stateIconPng } from '../main/app/tray/index.ts';

mkdirSync('build', { recursive: true });
writeFileSync('build/icon.png', stateIconPng('training', 512));
writeFileSync('build/icon.ico', encodeIco(stateIconPng('training', 256), 256));
console.log('Wrote build/icon.png and build/icon.ico.');
