/* 基层治理·外业: the console's service worker (served at /field/sw.js, scope /).
 *
 * It keeps two things on the device:
 * - the shell: the console's own static files every page loads (Flask-AppBuilder's CSS, fonts
 *   and scripts), fetched when the worker installs and refreshed in the background;
 * - the pages a signed-in user has asked to work offline on (the inspection form, ...), in
 *   their own cache, which the page scripts delete at logout or when another account signs in.
 * Everything else goes to the network untouched, and nothing is ever fetched from another
 * origin.  Raise VERSION whenever SHELL_FILES or the console's static files change.
 */
'use strict';

const VERSION = '2';
const SHELL = 'jiceng-field-shell-v' + VERSION;
const PAGES = 'jiceng-field-pages';
const INDEX = '/field/offline-pages.json';
const FAB = '/static/appbuilder/';

const SHELL_FILES = [
  FAB + 'css/bootstrap.min.css',
  FAB + 'css/fontawesome/fontawesome.min.css',
  FAB + 'css/fontawesome/regular.min.css',
  FAB + 'css/fontawesome/solid.min.css',
  FAB + 'css/fontawesome/brands.min.css',
  FAB + 'css/fontawesome/v4-shims.min.css',
  FAB + 'css/bootstrap-datepicker/bootstrap-datepicker3.min.css',
  FAB + 'css/select2/select2.min.css',
  FAB + 'css/select2/select2-bootstrap.min.css',
  FAB + 'css/flags/flags16.css',
  FAB + 'css/ab.css',
  FAB + 'css/webfonts/fa-regular-400.woff2',
  FAB + 'css/webfonts/fa-solid-900.woff2',
  FAB + 'css/webfonts/fa-brands-400.woff2',
  FAB + 'css/images/flags16.png',
  FAB + 'js/jquery-latest.js',
  FAB + 'js/ab_filters.js',
  FAB + 'js/ab_actions.js',
  FAB + 'js/bootstrap.min.js',
  FAB + 'js/bootstrap-datepicker/bootstrap-datepicker.min.js',
  FAB + 'js/select2/select2.min.js',
  FAB + 'js/ab.js',
  '/static/console.css',
  '/static/field/outbox.js',
  '/static/field/field.js',
  '/static/field/icon-192.png',
  '/static/field/icon-512.png',
  '/field/manifest.webmanifest',
];

// A kept page is served from the device when the network has not answered by then: a weak
// signal must not leave the inspector staring at a blank screen.
const NETWORK_PATIENCE_MS = 4000;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(SHELL_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith('jiceng-field-shell-') && key !== SHELL) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  const data = event.data || {};
  if (data.type === 'keep' && typeof data.path === 'string' && data.path.startsWith('/')) {
    event.waitUntil(keep(data.path, String(data.title || data.path)).then((ok) => {
      if (event.source) event.source.postMessage({type: 'kept', path: data.path, ok});
    }));
  }
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    event.respondWith(page(request, url));
  } else if (SHELL_FILES.includes(url.pathname)) {
    event.respondWith(shellFile(event, request, url));
  }
});

async function keep(path, title) {
  let response;
  try {
    response = await fetch(path, {credentials: 'same-origin', cache: 'no-store'});
  } catch (err) {
    return false;
  }
  // A redirect is the login page: nothing of that is worth keeping.
  if (!response.ok || response.redirected) return false;
  const cache = await caches.open(PAGES);
  await cache.put(path, response);
  const index = await keptPages();
  index[path] = title;
  await cache.put(INDEX, new Response(JSON.stringify(index), {headers: {'Content-Type': 'application/json'}}));
  return true;
}

async function keptPages() {
  const hit = await caches.match(INDEX, {cacheName: PAGES});
  return hit ? hit.json() : {};
}

async function page(request, url) {
  // Looked up without opening: opening would make the cache again after a logout deleted it.
  const kept = await caches.match(url.pathname, {cacheName: PAGES});
  const network = fetch(request).then((response) => {
    if (kept && response.ok && !response.redirected && response.type === 'basic') {
      const copy = response.clone();
      caches.open(PAGES).then((cache) => cache.put(url.pathname, copy));
    }
    return response;
  });
  if (!kept) return network.catch(() => offlinePage());
  if (self.navigator.onLine === false) {
    network.catch(() => null);
    return kept;
  }
  const patience = new Promise((resolve) => setTimeout(() => resolve(null), NETWORK_PATIENCE_MS));
  const first = await Promise.race([network.catch(() => null), patience]);
  return first || kept;
}

async function shellFile(event, request, url) {
  const cache = await caches.open(SHELL);
  const hit = await cache.match(url.pathname);
  const refresh = fetch(request).then((response) => {
    if (response.ok && response.type === 'basic') return cache.put(url.pathname, response.clone()).then(() => response);
    return response;
  });
  if (hit) {
    event.waitUntil(refresh.catch(() => null));
    return hit;
  }
  return refresh;
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
}

async function offlinePage() {
  const index = await keptPages();
  const links = Object.keys(index).map((path) => `<li><a href="${escapeHtml(path)}">${escapeHtml(index[path])}</a></li>`);
  const body = links.length
    ? `<p>当前没有网络，此页面无法打开。本机保存了以下可离线使用的页面：</p><ul>${links.join('')}</ul>`
    : '<p>当前没有网络，此页面无法打开。本机还没有保存可离线使用的页面：请在有网络时登录并打开一次录入页面。</p>';
  const html = `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>离线 - 基层治理·外业</title>
<link href="/static/appbuilder/css/bootstrap.min.css" rel="stylesheet"></head>
<body><div class="container" style="padding-top:24px;font-size:16px"><h3>离线</h3>${body}</div></body></html>`;
  return new Response(html, {
    status: 503,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'",
    },
  });
}
