/* 基层治理·外业: what every signed-in page does for the field app.
 *
 * - registers the service worker (/field/sw.js, the whole origin);
 * - binds the device's data to the account: the outbox shows and sends only the records of the
 *   signed-in account (<meta name="jiceng-user">); when another account signs in, the pages kept
 *   for the previous one are dropped; logging out warns about unsent records, then clears them
 *   and the kept pages;
 * - sends the outbox when the page opens online, when the connection comes back and by the
 *   button of the outbox panel (#field-outbox, on the pages that capture records).
 */
(function () {
  'use strict';

  var PAGES = 'jiceng-field-pages';
  var LAST_USER = 'jiceng.field.user';
  var outbox = window.jicengOutbox;
  var meta = document.querySelector('meta[name="jiceng-user"]');
  var owner = meta ? meta.getAttribute('content') : null;

  function forgetPages() {
    return window.caches ? caches.delete(PAGES).catch(function () { return false; }) : Promise.resolve(false);
  }

  var field = window.jicengField = {
    owner: owner,
    kept: Promise.resolve(false),
    forgetPages: forgetPages,
    /* Keep this page on the device (the service worker fetches and stores it). */
    keepPage: function (path, title) {
      if (!('serviceWorker' in navigator) || !owner || !navigator.onLine) return field.kept;
      field.kept = navigator.serviceWorker.ready.then(function (registration) {
        return new Promise(function (resolve) {
          navigator.serviceWorker.addEventListener('message', function listen(event) {
            if (event.data && event.data.type === 'kept' && event.data.path === path) {
              navigator.serviceWorker.removeEventListener('message', listen);
              resolve(event.data.ok);
            }
          });
          registration.active.postMessage({type: 'keep', path: path, title: title});
        });
      });
      return field.kept;
    },
    sync: function () { return outbox.sync(owner); },
    /* The page holding a kind's form registers how to open a record of that kind in it, so
     * that a refused record can be corrected rather than only sent again or deleted. */
    editors: {},
  };

  if (!owner) return;  // signed out: nothing on the device belongs to this page

  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/field/sw.js', {scope: '/'}).catch(function () { return null; });
  }

  var previous = null;
  try { previous = localStorage.getItem(LAST_USER); localStorage.setItem(LAST_USER, owner); } catch (err) { /* private mode */ }
  if (previous && previous !== owner) forgetPages();

  // -- logout ---------------------------------------------------------------------------------

  // Logging out is a form (a POST with the CSRF token): the navbar's and the /logout/ page's.
  // The device's records of the account go first; the form is then sent as it was.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!form || !/\/logout\/?$/.test(new URL(form.action, location.href).pathname)) return;
    event.preventDefault();
    var leave = function () { HTMLFormElement.prototype.submit.call(form); };
    outbox.list(owner).then(function (items) {
      var unsent = items.length;
      if (unsent && !window.confirm('本机还有 ' + unsent + ' 条记录未上传。退出登录会将其从本机清除，且无法恢复。确定退出？')) {
        return;
      }
      return outbox.clearOwner(owner).then(forgetPages).then(leave);
    }, leave);
  });

  // -- the outbox panel -----------------------------------------------------------------------

  var STATES = {waiting: '等待上传', sending: '正在上传…', refused: '未被接收'};

  function when(iso) {
    var d = new Date(iso);
    var pad = function (n) { return (n < 10 ? '0' : '') + n; };
    return (d.getMonth() + 1) + '月' + d.getDate() + '日 ' + pad(d.getHours()) + ':' + pad(d.getMinutes());
  }

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text != null) el.textContent = text;
    return el;
  }

  function render(panel) {
    return outbox.list(owner).then(function (items) {
      panel.querySelector('[data-outbox-count]').textContent = String(items.length);
      panel.hidden = items.length === 0 && !panel.hasAttribute('data-always');
      var listing = panel.querySelector('[data-outbox-items]');
      listing.textContent = '';
      items.forEach(function (item) {
        var row = element('li', 'field-item field-' + item.state);
        row.setAttribute('data-id', item.id);
        row.setAttribute('data-state', item.state);
        row.appendChild(element('div', 'field-item-title', item.title));
        row.appendChild(element('div', 'field-item-meta',
          '采集于 ' + when(item.captured_at) + (item.photos.length ? ' · 照片 ' + item.photos.length + ' 张' : '')));
        var state = element('div', 'field-item-state', STATES[item.state] || item.state);
        if (item.message) state.textContent += '：' + item.message;
        row.appendChild(state);
        var actions = element('div', 'field-item-actions');
        if (item.state === 'refused' && field.editors[item.kind]) {
          var edit = element('button', 'btn btn-primary btn-sm', '修改');
          edit.type = 'button';
          edit.setAttribute('data-action', 'edit');
          actions.appendChild(edit);
        }
        if (item.state === 'refused') {
          var again = element('button', 'btn btn-default btn-sm', '重新上传');
          again.type = 'button';
          again.setAttribute('data-action', 'retry');
          actions.appendChild(again);
        }
        var drop = element('button', 'btn btn-default btn-sm', '删除');
        drop.type = 'button';
        drop.setAttribute('data-action', 'remove');
        actions.appendChild(drop);
        row.appendChild(actions);
        listing.appendChild(row);
      });
    });
  }

  function setUp(panel) {
    var refresh = function () { render(panel); };
    outbox.onChange(refresh);
    panel.addEventListener('click', function (event) {
      var button = event.target.closest('button');
      if (!button) return;
      if (button.hasAttribute('data-outbox-sync')) {
        field.sync();
        return;
      }
      var row = button.closest('[data-id]');
      if (!row) return;
      var id = row.getAttribute('data-id');
      if (button.getAttribute('data-action') === 'remove') {
        if (window.confirm('删除后这条记录不会上传，也无法恢复。确定删除？')) outbox.remove(id);
      } else if (button.getAttribute('data-action') === 'edit') {
        outbox.get(id).then(function (item) { if (item) field.editors[item.kind](item); });
      } else if (button.getAttribute('data-action') === 'retry') {
        outbox.retry(id).then(field.sync);
      }
    });
    refresh();
  }

  function start() {
    var panel = document.getElementById('field-outbox');
    if (panel) setUp(panel);
    if (navigator.onLine) field.sync();
  }

  window.addEventListener('online', function () { field.sync(); });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
